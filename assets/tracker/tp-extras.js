// Touchpoint's optional extras, loaded beside tp.js (or tp.full.js):
//
// <script defer src="https://stats.example.com/js/tp-extras.js"
//   data-outbound data-downloads="pdf,zip,dmg" data-engagement></script>
//
//   data-outbound    clicks on links to other hosts: "Outbound Link: Click" {url}
//   data-downloads   clicks on links to files with these extensions (a default
//                    list when empty): "File Download" {url}
//   data-engagement  time on page and scroll depth: when the page is hidden or
//                    left (SPA navigation included), an "engagement" ping with
//                    the page's URL, the deepest scroll (sd, percent) and the
//                    milliseconds it was visible since the last ping (e)
// Everything goes through tp(), so it waits for consent exactly like the rest.
(function (w, d) {
  var script = d.currentScript;
  var has = function (n) { return script.hasAttribute('data-' + n); };
  var outbound = has('outbound');
  var list = script.getAttribute('data-downloads');
  var files = list != null && (list || 'pdf,xlsx,docx,txt,rtf,csv,exe,key,pps,ppt,pptx,7z,pkg,rar,gz,zip,avi,mov,mp4,mpeg,wmv,midi,mp3,wav,wma,dmg').split(',');
  w.tp = w.tp || function () { (w.tp.q = w.tp.q || []).push(arguments); };

  function track(e) {
    var a = e.target.closest && e.target.closest('a[href]');
    if (!a || (e.type == 'auxclick' && e.button != 1)) return;
    var url = new URL(a.href, location.href);
    var ext = url.pathname.split('.').pop().toLowerCase();
    if (files && url.pathname.indexOf('.') > 0 && files.indexOf(ext) >= 0) {
      w.tp('event', 'File Download', { url: url.href });
    } else if (outbound && /^https?:$/.test(url.protocol) && url.host != location.host) {
      w.tp('event', 'Outbound Link: Click', { url: url.href });
    }
  }

  d.addEventListener('click', track);
  d.addEventListener('auxclick', track);

  if (!has('engagement')) return;
  var url = location.href;
  var since = d.hidden ? 0 : Date.now(); // when the page was last shown
  var spent = 0, depth = 0, sent = 0;

  function measure() {
    var h = d.documentElement.scrollHeight;
    depth = Math.max(depth, h ? Math.min(100, Math.round((w.scrollY + w.innerHeight) / h * 100)) : 100);
  }

  // Sends what was not sent yet for `url`; with `next`, starts counting a new page.
  function flush(next) {
    var now = Date.now();
    if (since) spent += now - since;
    since = d.hidden ? 0 : now;
    if (spent || depth != sent) w.tp('engagement', { u: url, sd: depth, e: spent });
    spent = 0;
    sent = depth;
    if (next) {
      url = next;
      depth = sent = 0;
      measure();
    }
  }

  // Navigation in a single-page app ends the page (flushed before the URL
  // changes, so the ping carries the page it is about).
  ['pushState', 'replaceState'].forEach(function (m) {
    var orig = history[m];
    history[m] = function (s, t, to) {
      to = to && new URL(to, location.href).href;
      to && to != url && flush(to);
      return orig.apply(this, arguments);
    };
  });
  w.addEventListener('popstate', function () { location.href != url && flush(location.href); });
  d.addEventListener('visibilitychange', function () { d.hidden ? flush() : since = Date.now(); });
  w.addEventListener('pagehide', function () { flush(); });
  w.addEventListener('scroll', measure, { passive: true });
  measure();
})(window, document);
