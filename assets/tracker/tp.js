// Touchpoint tracker. Readable source of two served files, made by
// scripts/build-tracker.sh (a test checks they are current and the core is
// within its size budget): /js/tp.js, the core (TP_FULL = false: the consent
// and form code below is removed at build time), and /js/tp.full.js, with
// consent modes, identify and form capture (TP_FULL = true).
//
// <script defer data-domain="example.com" src="https://stats.example.com/js/tp.js"></script>
//   data-api="URL"   where events go (default: /api/event beside the script)
//   data-hash        count #fragment changes as pageviews (hash-routed apps)
//   data-consent     cookieless (default) | require | cookieless-until-consent
//   data-policy      the privacy policy version consent is asked for
//   data-dnt         treat Do Not Track like Global Privacy Control (a decline)
//   data-forms       all | marked: hash email and phone fields of forms on submit
//
// API (calls made before the script loads are queued, see README):
//   tp('pageview')                      a pageview now (automatic on load and SPA navigation)
//   tp('event', 'Signup', {plan: 'pro'}) a custom event with properties
//   tp('purchase', {value: 9.99, currency: 'EUR', order_id: 'A1'})
//   tp('identify', {email, phone})      SHA-256 in the browser; only with consent
//   tp('consent', 'accept' | 'decline') from the site's own consent platform
// Declarative: <button data-tp-event="Signup" data-tp-prop-plan="pro">.
(function (w, d) {
  var script = d.currentScript;
  var loc = w.location;
  var attr = function (n) { return script.getAttribute('data-' + n); };
  var api = attr('api') || new URL('/api/event', script.src).href;
  var domain = attr('domain') || loc.hostname.replace(/^www\./, '');
  var hash = attr('hash') != null;
  var nav = navigator;
  var lastUrl;
  // Consent: nothing is stored, and nobody identified, in cookieless mode.
  var mode = TP_FULL && attr('consent') || 'cookieless';
  var policy = TP_FULL && attr('policy') || '1';
  var forms = TP_FULL && attr('forms');
  var ask = TP_FULL && mode != 'cookieless';
  // A decision counts for the policy version it was made under.
  var saved = {};
  if (ask) try { saved = JSON.parse(localStorage._tp_consent) || {}; } catch (e) {}
  var decision = saved.v == policy && saved.d;
  var uid = ask && decision == 'accept' && (d.cookie.match(/(?:^|; )_tp_uid=([\w-]+)/) || [])[1];
  var held = [];
  var signal;

  // One POST with a text/plain body (no CORS preflight); kept alive through
  // page unloads (a beacon once the page is hidden). A network error or a
  // 503 is retried once, after the server's Retry-After (or a second).
  function post(body, retried) {
    if (d.hidden && nav.sendBeacon(api, body)) return;
    var again = function (secs) {
      retried || setTimeout(function () { post(body, 1); }, (secs || 1) * 1e3);
    };
    w.fetch(api, { method: 'POST', body: body, keepalive: true }).then(function (r) {
      r.status == 503 && again(+r.headers.get('Retry-After'));
    }, function () { again(); });
  }

  // `extra` adds or overrides payload fields (lead digests, engagement).
  function send(name, props, revenue, extra) {
    var o = { n: name, u: loc.href, d: domain, r: d.referrer || null, p: props, $: revenue, h: hash ? 1 : 0 };
    for (var k in extra) o[k] = extra[k];
    // In require mode, events wait for the visitor's decision.
    TP_FULL && mode == 'require' && !decision ? held.push(o) : (o.uid = uid || void 0, post(JSON.stringify(o)));
  }

  // _tp_uid: a random first-party id, only after accept; on the site's
  // domain (when the page is on it), 13 months at most. Empty clears it.
  function setUid(v) {
    d.cookie = '_tp_uid=' + v + ';path=/;SameSite=Lax;max-age=' + (v ? 3.3e7 : 0) +
      (('.' + loc.hostname).slice(-domain.length - 1) == '.' + domain ? ';domain=' + domain : '');
    return v;
  }

  function consent(choice, how) {
    // Global Privacy Control outranks an accept.
    if (!ask || (signal && choice == 'accept')) return;
    var old = uid;
    decision = choice;
    localStorage._tp_consent = JSON.stringify({ d: choice, t: Date.now(), v: policy });
    uid = choice == 'accept'
      ? setUid(old || Array.from(crypto.getRandomValues(new Uint8Array(16)), hex).join(''))
      : setUid('');
    post(JSON.stringify({ n: 'consent', u: loc.href, d: domain, c: { d: choice, v: policy, m: how || 'api' }, uid: uid || old || void 0 }));
    held.splice(0).forEach(function (o) { o.uid = uid || void 0; post(JSON.stringify(o)); });
  }

  function hex(b) { return (b + 256).toString(16).slice(1); }

  function sha(v) {
    return v && crypto.subtle.digest('SHA-256', new TextEncoder().encode(v)).then(function (b) {
      return Array.from(new Uint8Array(b), hex).join('');
    });
  }

  // Lead fields are normalised and hashed here; only the digests are sent,
  // and only for a visitor who accepted. Pages on plain http have no Web
  // Crypto (and would send even digests in clear): nothing is sent there,
  // with a console warning; a plain value never is.
  function lead(form, email, phone) {
    if (uid && !(w.isSecureContext && crypto.subtle)) return console.warn('Touchpoint: lead not sent; hashing needs https');
    uid && Promise.all([
      sha(email && email.trim().toLowerCase()),
      sha(phone && phone.replace(/[^\d+]/g, '').replace(/(?!^)\+/g, ''))
    ]).then(function (h) {
      send('lead', { form: form }, void 0, { l: { e: h[0] || void 0, p: h[1] || void 0 } });
    });
  }

  function pageview() {
    if (lastUrl == loc.href) return;
    lastUrl = loc.href;
    send('pageview');
  }

  var commands = {
    pageview: function () { lastUrl = 0; pageview(); },
    event: function (name, props) { send(name, props); },
    purchase: function (o) {
      send('Purchase', o.order_id && { order_id: '' + o.order_id }, { amount: o.value, currency: o.currency });
    },
    // From tp-extras.js: {u, sd, e} for the page that is being left or hidden.
    engagement: function (o) { send('engagement', void 0, void 0, o); },
  };

  function tp(cmd, a, b) {
    commands[cmd] && commands[cmd](a, b);
  }

  // Single-page apps: history changes (and, by attribute, hash changes) are pageviews.
  var history = w.history;
  ['pushState', 'replaceState'].forEach(function (m) {
    var orig = history[m];
    history[m] = function () {
      orig.apply(this, arguments);
      pageview();
    };
  });
  w.addEventListener('popstate', pageview);
  hash && w.addEventListener('hashchange', pageview);

  // <el data-tp-event="Name" data-tp-prop-key="value">
  d.addEventListener('click', function (e) {
    var el = e.target.closest && e.target.closest('[data-tp-event]');
    if (!el) return;
    var props = {};
    for (var i = 0, at; (at = el.attributes[i]); i++) {
      at.name.indexOf('data-tp-prop-') || (props[at.name.slice(13)] = at.value);
    }
    send(el.getAttribute('data-tp-event'), props);
  });

  if (TP_FULL) {
  commands.identify = function (o) { lead('identify', o.email, o.phone); };
  commands.consent = consent;

  // Forms: on submit, the first email-like and phone-like fields.
  forms && d.addEventListener('submit', function (e) {
    var f = e.target, email, phone;
    if (forms != 'all' && !f.hasAttribute('data-tp-form')) return;
    for (var i = 0, el; (el = f.elements[i]); i++) {
      var kind = el.type + el.name;
      /mail/i.test(kind) ? email = email || el.value : /tel|phone|mobile/i.test(kind) && (phone = phone || el.value);
    }
    lead(f.id || f.getAttribute('name') || 'form', email, phone);
  }, true);

  // Global Privacy Control (and, if the site says so, Do Not Track) is a decline.
  signal = nav.globalPrivacyControl ? 'gpc' : attr('dnt') != null && nav.doNotTrack == '1' && 'dnt';
  signal && decision != 'decline' && consent('decline', signal);
  }

  var queued = (w.tp && w.tp.q) || [];
  w.tp = tp;
  pageview();
  for (var i = 0; i < queued.length; i++) tp.apply(0, queued[i]);
})(window, document);
