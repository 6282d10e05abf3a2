// Touchpoint's optional consent banner, for sites in `require` or
// `cookieless-until-consent` mode. Load it after tp.full.js:
//
// <script defer src="https://stats.example.com/js/tp-consent.js"
//   data-text="We'd like to count your visits with a cookie."
//   data-policy-url="/privacy" data-policy-label="Privacy policy"
//   data-accept="Accept" data-decline="Decline"></script>
//
// It shows once, until the visitor decides; the choice goes to
// tp('consent', choice, 'banner'). It is a labelled region with real buttons,
// so keyboards and screen readers can use it, and it styles itself through
// the CSSOM (allowed under a strict style-src).
(function (w, d) {
  var script = d.currentScript;
  var attr = function (n, dflt) { return script.getAttribute('data-' + n) || dflt; };
  w.tp = w.tp || function () { (w.tp.q = w.tp.q || []).push(arguments); };
  // Shown until a decision is stored for the tracker's current policy version.
  var tracker = d.querySelector('script[data-policy]');
  var saved = {};
  try { saved = JSON.parse(localStorage._tp_consent) || {}; } catch (e) {}
  if (saved.d && saved.v == (tracker ? tracker.getAttribute('data-policy') : '1')) return;

  function el(tag, text, css) {
    var e = d.createElement(tag);
    e.textContent = text || '';
    e.style.cssText = css || '';
    return e;
  }

  function show() {
    var box = el('section', '', 'position:fixed;left:1em;right:1em;bottom:1em;z-index:2147483647;' +
      'max-width:40em;margin:auto;padding:1em;background:#fff;color:#111;border:1px solid #888;' +
      'border-radius:.5em;box-shadow:0 2px 12px rgba(0,0,0,.2);font:15px/1.4 system-ui,sans-serif');
    box.id = 'tp-consent';
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', attr('label', 'Privacy choices'));
    var p = el('p', attr('text', 'We would like to measure visits to this site with a first-party cookie.') + ' ', 'margin:0 0 .75em');
    var policy = attr('policy-url');
    if (policy) {
      var a = el('a', attr('policy-label', 'Privacy policy'));
      a.href = policy;
      p.appendChild(a);
    }
    box.appendChild(p);
    ['accept', 'decline'].forEach(function (choice) {
      var b = el('button', attr(choice, choice == 'accept' ? 'Accept' : 'Decline'),
        'margin-right:.5em;padding:.4em 1em;font:inherit;cursor:pointer');
      b.type = 'button';
      b.setAttribute('data-tp-choice', choice);
      b.onclick = function () {
        w.tp('consent', choice, 'banner');
        box.remove();
      };
      box.appendChild(b);
    });
    d.body.appendChild(box);
  }

  d.body ? show() : d.addEventListener('DOMContentLoaded', show);
})(window, document);
