// Touchpoint tracker (core). Readable source: the served file is tp.min.js,
// made from this one by scripts/build-tracker.sh; a test checks that it is
// current and within the size budget.
//
// <script defer data-domain="example.com" src="https://stats.example.com/js/tp.js"></script>
//   data-api="URL"   where events go (default: /api/event beside the script)
//   data-hash        count #fragment changes as pageviews (hash-routed apps)
//
// API (calls made before the script loads are queued, see README):
//   tp('pageview')                      a pageview now (automatic on load and SPA navigation)
//   tp('event', 'Signup', {plan: 'pro'}) a custom event with properties
//   tp('purchase', {value: 9.99, currency: 'EUR', order_id: 'A1'})
// Declarative: <button data-tp-event="Signup" data-tp-prop-plan="pro">.
(function (w, d) {
  var script = d.currentScript;
  var loc = w.location;
  var attr = function (n) { return script.getAttribute('data-' + n); };
  var api = attr('api') || new URL('/api/event', script.src).href;
  var domain = attr('domain') || loc.hostname.replace(/^www\./, '');
  var hash = attr('hash') != null;
  var lastUrl;

  // One POST with a text/plain body (no CORS preflight); kept alive through
  // page unloads. A network error or a 503 is retried once, after the
  // server's Retry-After (or a second).
  function post(body, retried) {
    var again = function (secs) {
      retried || setTimeout(function () { post(body, 1); }, (secs || 1) * 1e3);
    };
    w.fetch(api, { method: 'POST', body: body, keepalive: true }).then(function (r) {
      r.status == 503 && again(+r.headers.get('Retry-After'));
    }, function () { again(); });
  }

  function send(name, props, revenue) {
    post(JSON.stringify({ n: name, u: loc.href, d: domain, r: d.referrer || null, p: props, $: revenue, h: hash ? 1 : 0 }));
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
    }
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

  var queued = (w.tp && w.tp.q) || [];
  w.tp = tp;
  pageview();
  for (var i = 0; i < queued.length; i++) tp.apply(0, queued[i]);
})(window, document);
