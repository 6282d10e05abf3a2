// Touchpoint's optional extras, loaded beside tp.js (or tp.full.js):
//
// <script defer src="https://stats.example.com/js/tp-extras.js"
//   data-outbound data-downloads="pdf,zip,dmg"></script>
//
//   data-outbound    clicks on links to other hosts: "Outbound Link: Click" {url}
//   data-downloads   clicks on links to files with these extensions (a default
//                    list when empty): "File Download" {url}
// Events go through tp(), so they wait for consent exactly like the rest.
(function (w, d) {
  var script = d.currentScript;
  var outbound = script.hasAttribute('data-outbound');
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
})(window, document);
