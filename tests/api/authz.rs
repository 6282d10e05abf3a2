//! Who may do what on the dashboard: every route against every kind of
//! caller, what pages let slip about other workspaces, and the public
//! shared link.

use std::fmt::Write as _;

use reqwest::StatusCode;
use serde_json::json;
use touchpoint::{
    domain::{Domain, Role, Timezone, UserId, WorkspaceId},
    privacy,
    store::{GoalKind, WorkspaceChoice},
};

use crate::{
    helpers::{CHROME, T0, TestApp, spawn_app},
    web::{TestUser, WebClient},
};

/// Who may use a route: anyone logged in, or members of workspace A with at least a role.
#[derive(Clone, Copy)]
enum Needs {
    Login,
    At(Role),
}

/// Every dashboard route: `method path | form fields | who may use it | success
/// status [and where a 303 leads]`. "login" means anyone logged in, a role the
/// least role in workspace A. In paths, `{A}` is workspace A's id, `{uid}` a
/// spare member of A, `{hash}` the hash of A's API key, `{goal}` example.com's goal.
const ROUTES: &[&str] = &[
    "GET  /sites                                 |                                       | login  | 200",
    "GET  /account                               |                                       | login  | 200",
    "GET  /workspaces/{A}                        |                                       | viewer | 200",
    "GET  /workspaces/{A}/audit                  |                                       | owner  | 200",
    "GET  /sites/example.com                     |                                       | viewer | 200",
    "GET  /sites/example.com/realtime            |                                       | viewer | 200",
    "GET  /sites/example.com/goals               |                                       | viewer | 200",
    "GET  /sites/example.com/attribution         |                                       | viewer | 200",
    "GET  /sites/example.com/funnels             |                                       | viewer | 200",
    "GET  /sites/example.com/leads               |                                       | analyst | 200",
    "GET  /sites/example.com/settings            |                                       | admin  | 200",
    "GET  /sites/example.com/privacy             |                                       | admin  | 200",
    "GET  /sites/example.com/consents.csv        |                                       | admin  | 200",
    "GET  /sites/example.com/export              |                                       | admin  | 200",
    "POST /sites/example.com/privacy/lookup      | kind=uid&value=someone                | admin  | 200",
    "POST /workspaces/{A}/sites                  | domain=new-site.example&timezone=UTC  | admin  | 303 /sites/new-site.example/settings",
    "POST /workspaces/{A}/members                | email=invitee%40acme.test&role=viewer | owner  | 303 /workspaces/{A}",
    "POST /workspaces/{A}/members/{uid}/role     | role=viewer                           | owner  | 303 /workspaces/{A}",
    "POST /workspaces/{A}/members/{uid}/remove   |                                       | owner  | 303 /workspaces/{A}",
    "POST /workspaces/{A}/keys                   | name=ci                               | admin  | 303 /workspaces/{A}",
    "POST /workspaces/{A}/keys/{hash}/revoke     |                                       | admin  | 303 /workspaces/{A}",
    "POST /sites/example.com/goals               | kind=event&value=Signup               | admin  | 303 /sites/example.com/goals",
    "POST /sites/example.com/goals/{goal}/delete |                                       | admin  | 303 /sites/example.com/goals",
    "POST /sites/example.com/settings            | timezone=UTC&hostnames=               | admin  | 200",
    "POST /sites/example.com/share               | enabled=true                          | admin  | 200",
    "POST /sites/example.com/retention           | months=12                             | admin  | 200",
    // Last: it deletes the site the routes above use.
    "POST /sites/example.com/delete              | confirm=example.com                   | owner  | 303 /workspaces/{A}",
];

/// One row of [`ROUTES`].
struct Route {
    method: &'static str,
    path: &'static str,
    fields: Vec<(String, String)>,
    needs: Needs,
    ok: u16,
    to: &'static str,
}

fn routes() -> Vec<Route> {
    ROUTES
        .iter()
        .map(|row| {
            let cols: Vec<&str> = row.split('|').map(str::trim).collect();
            let (method, path) = cols[0].split_once(' ').unwrap();
            let needs = match cols[2] {
                "login" => Needs::Login,
                role => Needs::At(Role::parse(role).unwrap()),
            };
            let (ok, to) = cols[3].split_once(' ').unwrap_or((cols[3], ""));
            Route {
                method,
                path: path.trim(),
                fields: serde_urlencoded::from_str(cols[1]).unwrap(),
                needs,
                ok: ok.parse().unwrap(),
                to,
            }
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Who {
    Member(Role),
    /// Owner of workspace B, nothing in A.
    Outsider,
    Anonymous,
}

const PRINCIPALS: [(&str, Who); 6] = [
    ("owner", Who::Member(Role::Owner)),
    ("admin", Who::Member(Role::Admin)),
    ("analyst", Who::Member(Role::Analyst)),
    ("viewer", Who::Member(Role::Viewer)),
    ("outsider", Who::Outsider),
    ("anon", Who::Anonymous),
];

/// Members of A, in the order owner, admin, analyst, viewer, spare (an analyst).
const A_EMAILS: [&str; 5] = [
    "owner@acme.test",
    "admin@acme.test",
    "analyst@acme.test",
    "viewer@acme.test",
    "spare@acme.test",
];
const A_MARKERS: [&str; 2] = ["Acme", "/acme-only-page"];
const B_EMAIL: &str = "bea@bravo.test";
const B_MARKERS: [&str; 4] = [
    "Bravo Secret",
    "bravo-secret.example",
    "/bravo-only-page",
    B_EMAIL,
];

/// Workspace A (Acme: example.com, other.example) and workspace B (Bravo
/// Secret: bravo-secret.example), each with a goal, a pageview and members.
struct World {
    app: TestApp,
    a: WorkspaceId,
    members: Vec<TestUser>,
    outsider: TestUser,
    spare: UserId,
    goal: u32,
    key_hash: String,
}

async fn world() -> World {
    let app = spawn_app().await;
    let store = &app.state.store;
    let a = app.acme();
    let b = store.create_workspace("Bravo Secret", T0).unwrap().id;
    let utc = Timezone::parse("UTC").unwrap();
    let bravo = Domain::parse("bravo-secret.example").unwrap();
    store.add_site(b, &bravo, utc, T0).unwrap();
    app.state.reload_sites().unwrap();
    let site = |d: &str| store.read().unwrap().site_by_domain(d).unwrap().unwrap().id;
    let page = |p: &str| GoalKind::Page(p.to_owned());
    let goal = store
        .add_goal(site("example.com"), page("/acme-only-page"))
        .unwrap()
        .id;
    store
        .add_goal(site("bravo-secret.example"), page("/bravo-only-page"))
        .unwrap();
    app.pageview("/acme-only-page", CHROME, "198.51.100.1")
        .await;
    let pv = json!({"n": "pageview", "u": "https://bravo-secret.example/bravo-only-page", "d": "bravo-secret.example"});
    app.event(pv, CHROME, "198.51.100.2").await;
    let roles = Role::ALL.into_iter().chain([Role::Analyst]);
    let members: Vec<TestUser> = A_EMAILS
        .iter()
        .zip(roles)
        .map(|(e, r)| app.user(e, r, WorkspaceChoice::Existing(a)))
        .collect();
    let outsider = app.user(B_EMAIL, Role::Owner, WorkspaceChoice::Existing(b));
    World {
        a,
        spare: members[4].id,
        members,
        outsider,
        goal,
        key_hash: privacy::sha256_hex(app.api_key.as_bytes()),
        app,
    }
}

impl World {
    fn fill(&self, template: &str) -> String {
        template
            .replace("{A}", &self.a.to_string())
            .replace("{uid}", &self.spare.to_string())
            .replace("{hash}", &self.key_hash)
            .replace("{goal}", &self.goal.to_string())
    }

    async fn client(&self, who: Who) -> WebClient {
        let mut c = WebClient::new(&self.app);
        let user = match who {
            Who::Member(r) => Role::ALL
                .iter()
                .position(|x| *x == r)
                .map(|i| &self.members[i]),
            Who::Outsider => Some(&self.outsider),
            Who::Anonymous => None,
        };
        if let Some(u) = user {
            c.login(&self.app, u).await;
        }
        c
    }
}

fn expected(who: Who, needs: Needs, ok: u16) -> u16 {
    match (who, needs) {
        (Who::Anonymous, _) => 303,
        (_, Needs::Login) => ok,
        (Who::Outsider, Needs::At(_)) => 404,
        (Who::Member(r), Needs::At(min)) if r >= min => ok,
        (Who::Member(_), Needs::At(_)) => 403,
    }
}

/// What a caller must never see in any response.
fn hidden_from(who: Who) -> Vec<&'static str> {
    match who {
        Who::Member(_) => B_MARKERS.to_vec(),
        Who::Outsider => [&A_MARKERS[..], &A_EMAILS[..]].concat(),
        Who::Anonymous => [&A_MARKERS[..], &A_EMAILS[..], &B_MARKERS[..]].concat(),
    }
}

fn matrix(grid: &[Vec<String>], wrong: &[String]) -> String {
    let mut out = format!("{:<46}", "route (! = wrong)");
    for (name, _) in PRINCIPALS {
        write!(out, "{name:>9}").unwrap();
    }
    for (row, r) in routes().iter().enumerate() {
        write!(out, "\n{:<46}", format!("{} {}", r.method, r.path)).unwrap();
        for cell in &grid[row] {
            write!(out, "{cell:>9}").unwrap();
        }
    }
    format!("{out}\n\n{}", wrong.join("\n"))
}

#[tokio::test]
async fn every_dashboard_route_gives_each_kind_of_caller_exactly_what_its_role_allows() {
    let mut grid = vec![vec![String::new(); PRINCIPALS.len()]; ROUTES.len()];
    let mut wrong = Vec::new();
    for (col, (name, who)) in PRINCIPALS.into_iter().enumerate() {
        // A fresh world per caller, so one caller's changes can't affect another's cells.
        let w = world().await;
        let mut c = w.client(who).await;
        let hidden = hidden_from(who);
        for (row, r) in routes().iter().enumerate() {
            let path = w.fill(r.path);
            let fields: Vec<(&str, &str)> = r
                .fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let (status, location, body) = match r.method {
                "GET" => c.get(&path).await,
                _ => c.post(&path, &fields).await,
            };
            let want = expected(who, r.needs, r.ok);
            let label = format!("{name} {} {}", r.method, r.path);
            let want_location = match (who, want) {
                (Who::Anonymous, _) => "/login…".to_owned(),
                (_, 303) => w.fill(r.to),
                _ => String::new(),
            };
            let right_location = match want_location.strip_suffix('…') {
                Some(prefix) => location.starts_with(prefix),
                None => location == want_location,
            };
            let right = status.as_u16() == want && right_location;
            grid[row][col] = format!("{}{}", status.as_u16(), if right { "" } else { "!" });
            if !right {
                wrong.push(format!(
                    "{label}: got {} {location:?}, want {want} {want_location:?}",
                    status.as_u16()
                ));
            }
            // The markers are real: each caller's list of sites shows its own workspace.
            let own = match who {
                Who::Member(_) => "Acme",
                Who::Outsider => "Bravo Secret",
                Who::Anonymous => "",
            };
            if r.path == "/sites" && !body.contains(own) {
                wrong.push(format!("{label}: the page lacks {own:?}"));
            }
            for marker in hidden.iter().filter(|m| body.contains(**m)) {
                wrong.push(format!("{label}: the page shows {marker:?}"));
            }
        }
        w.app.stop().await;
    }
    assert!(wrong.is_empty(), "\n{}", matrix(&grid, &wrong));
}

fn share_token(app: &TestApp) -> Option<String> {
    let view = app.state.store.read().unwrap();
    view.site_by_domain("example.com")
        .unwrap()
        .unwrap()
        .share_token
}

#[tokio::test]
async fn a_shared_link_shows_the_overview_to_anyone_with_its_token_until_revoked() {
    let w = world().await;
    let mut admin = w.client(Who::Member(Role::Admin)).await;
    let (s, _, body) = admin
        .post("/sites/example.com/share", &[("enabled", "true")])
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let token = share_token(&w.app).expect("sharing turned on");
    let link = format!("/share/example.com?auth={token}");
    let mut anon = WebClient::new(&w.app);
    let (s, _, page) = anon.get(&link).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("/acme-only-page"), "{page}");
    for (what, needle) in [
        ("a link to the settings", "/settings"),
        ("a CSRF field", r#"name="csrf""#),
        ("another workspace", "Bravo Secret"),
    ] {
        assert!(!page.contains(needle), "the shared page has {what}: {page}");
    }

    let mut wrong = token.clone();
    let last = if wrong.ends_with('0') { "1" } else { "0" };
    wrong.replace_range(wrong.len() - 1.., last);
    for (case, path) in [
        ("a wrong token", format!("/share/example.com?auth={wrong}")),
        ("no token", "/share/example.com".to_owned()),
        ("an empty token", "/share/example.com?auth=".to_owned()),
        (
            "the token on another site",
            format!("/share/other.example?auth={token}"),
        ),
        (
            "the token on another workspace's site",
            format!("/share/bravo-secret.example?auth={token}"),
        ),
    ] {
        let (s, _, body) = anon.get(&path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{case}");
        assert!(!body.contains("/acme-only-page"), "{case}: {body}");
    }

    let (s, _, _) = admin
        .post("/sites/example.com/share", &[("enabled", "false")])
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(share_token(&w.app), None);
    let (s, _, body) = anon.get(&link).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "revoked: {body}");
}
