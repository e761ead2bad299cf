// eCITES web UI: the only script. Sends `form.command` as JSON to the command API on the same
// origin (session cookie + double-submit CSRF header), then opens `data-next` at the command's
// read-your-writes position; shows refusals with their rule ids. Also: the application form's
// extra lines, the species picker, the fee and rule checks as the form changes (the command
// API's dry run), supporting documents (upload, download), and the customs QR scan where the
// browser has BarcodeDetector. No build step, no dependency.
(function () {
  'use strict';

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)ecites_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : '';
  }

  // "a.b.0.c" → {a: {b: [{c: value}]}}
  function put(obj, path, value) {
    var keys = path.split('.');
    var o = obj;
    for (var i = 0; i < keys.length - 1; i++) {
      if (o[keys[i]] === undefined) o[keys[i]] = /^\d+$/.test(keys[i + 1]) ? [] : {};
      o = o[keys[i]];
    }
    o[keys[keys.length - 1]] = value;
  }

  // Decimal places of a currency's minor unit: ISO 4217, the table the server uses
  // (`ui/pages/admin_config.rs::exponent`). Not the browser's Intl data: CLDR gives other
  // figures for some currencies (RSD, IQD, …), and a deposit would be off by a factor of 100.
  var ZERO_DECIMALS = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF'.split(' ');
  var THREE_DECIMALS = 'BHD IQD JOD KWD LYD OMR TND'.split(' ');
  function digits(currency) {
    if (ZERO_DECIMALS.indexOf(currency) >= 0) return 0;
    if (THREE_DECIMALS.indexOf(currency) >= 0) return 3;
    return 2;
  }

  // Exact decimal → integer minor units, never through a float; NaN when it does not fit, so
  // the command API refuses it naming the field.
  function minorUnits(text, exp) {
    var m = /^(\d+)(?:\.(\d*))?$/.exec(text);
    if (!m || (m[2] || '').length > exp) return NaN;
    return Number(m[1] + ((m[2] || '') + '000').slice(0, exp));
  }

  function value(el) {
    var v = el.value.trim();
    switch (el.dataset.type) {
      case 'number': return Number(v);
      case 'bool': return v === 'true';
      case 'json': return JSON.parse(v);
      case 'lines': return v.split('\n').map(function (s) { return s.trim(); }).filter(Boolean);
      // "12.5" → 1250 in USD, 12 in JPY: typed in the currency's unit, sent in minor units.
      case 'minor-units': return minorUnits(v, digits(el.dataset.currency));
      default: return v;
    }
  }

  function body(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled) return;
      if (el.value.trim() === '' && el.dataset.type !== 'lines') return;
      put(out, el.name, value(el));
    });
    return out;
  }

  function show(form, problem) {
    var box = form.querySelector('.problem');
    box.textContent = '';
    var title = document.createElement('strong');
    title.textContent = (form.dataset.tRefused || 'Refused') + ': ' + (problem.title || 'Error');
    box.appendChild(title);
    if (problem.detail) {
      var p = document.createElement('p');
      p.textContent = problem.detail;
      box.appendChild(p);
    }
    var list = problem.violations || [];
    if (list.length) {
      var ul = document.createElement('ul');
      list.forEach(function (v) {
        var li = document.createElement('li');
        var rule = document.createElement('span');
        rule.className = 'rule';
        rule.textContent = v.rule || '';
        li.dataset.rule = v.rule || '';
        li.dataset.field = v.field || '';
        li.appendChild(rule);
        li.appendChild(document.createTextNode(
          ' ' + (v.message || '') + (v.field ? ' (' + v.field + ')' : '')));
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    box.focus();
  }

  function submit(event) {
    var form = event.target;
    if (!form.matches('form.command')) return;
    event.preventDefault();
    if (!form.reportValidity()) return;
    var button = form.querySelector('button[type=submit]');
    var label = button.textContent;
    var payload;
    try { payload = body(form); } catch (e) { show(form, { title: String(e) }); return; }
    button.disabled = true;
    button.textContent = form.dataset.tWorking || '…';
    // A refusal of the previous try must not stand while this one is on its way.
    var previous = form.querySelector('.problem');
    if (previous) previous.textContent = '';
    fetch(form.dataset.command, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf() },
      body: JSON.stringify(payload)
    }).then(function (res) {
      return res.json().catch(function () { return { title: res.statusText }; }).then(function (data) {
        if (!res.ok) throw data;
        var next = form.dataset.next.replace('{id}', encodeURIComponent(data.permit_id || ''));
        location.assign(next + (next.indexOf('?') < 0 ? '?' : '&') + 'position=' + encodeURIComponent(data.position));
      });
    }).catch(function (problem) {
      button.disabled = false;
      button.textContent = label;
      show(form, problem && typeof problem === 'object' ? problem : { title: String(problem) });
    });
  }

  // The application form: more lines, renumbered so that the JSON has no holes.
  function renumber(container) {
    container.querySelectorAll('fieldset.line').forEach(function (fs, i) {
      fs.dataset.line = i;
      fs.querySelector('.line-no').textContent = i + 1;
      fs.querySelectorAll('[name]').forEach(function (el) {
        el.name = el.name.replace(/lines\.\d+\./, 'lines.' + i + '.');
      });
      fs.querySelectorAll('[id]').forEach(function (el) {
        el.id = el.id.replace(/^line-\d+-/, 'line-' + i + '-');
      });
      fs.querySelectorAll('[for]').forEach(function (el) {
        el.htmlFor = el.htmlFor.replace(/^line-\d+-/, 'line-' + i + '-');
      });
      fs.querySelectorAll('[aria-describedby]').forEach(function (el) {
        el.setAttribute('aria-describedby', el.getAttribute('aria-describedby').replace(/^line-\d+-/, 'line-' + i + '-'));
      });
      fs.querySelector('[data-remove-line]').hidden = i === 0;
    });
  }

  function click(event) {
    var add = event.target.closest('[data-add-line]');
    if (add) {
      var lines = document.getElementById('lines');
      var all = lines.querySelectorAll('fieldset.line');
      var copy = all[all.length - 1].cloneNode(true);
      copy.querySelectorAll('input').forEach(function (el) { el.value = ''; });
      lines.appendChild(copy);
      renumber(lines);
      copy.querySelector('input').focus();
      return;
    }
    var remove = event.target.closest('[data-remove-line]');
    if (remove) {
      var container = remove.closest('#lines');
      remove.closest('fieldset.line').remove();
      renumber(container);
    }
  }

  // The species picker: the catalogue as you type, the appendix as you pick.
  var timer = null;
  var found = {};
  function describe(form, s) {
    if (!s) return '';
    var text = s.appendix ? (form.dataset.tAppendix + ' ' + s.appendix) : form.dataset.tNotListed;
    if (s.suspended) text += ' · ⚠ ' + form.dataset.tSuspended;
    if (s.over_quota) text += ' · ⚠ ' + form.dataset.tOverQuota;
    (s.quotas || []).forEach(function (q) {
      var what = [q.term, q.unit].filter(Boolean).join(' ');
      text += ' · ' + form.dataset.tQuota + (what ? ' ' + what : '') + ': ' + q.taken + ' / ' + q.annual;
    });
    if (s.common_names) text += ' · ' + s.common_names;
    return text;
  }
  function input(event) {
    var el = event.target;
    if (!el.matches('[data-species]')) return;
    var form = el.form;
    var info = el.closest('fieldset').querySelector('[data-species-info]');
    if (found[el.value]) {
      info.textContent = describe(form, found[el.value]);
      info.classList.toggle('warn', !!(found[el.value].suspended || found[el.value].over_quota));
    }
    clearTimeout(timer);
    var q = el.value.trim();
    if (q.length < 2) return;
    timer = setTimeout(function () {
      fetch(form.dataset.speciesUrl + '?q=' + encodeURIComponent(q), { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) {
          var list = document.getElementById('species-options');
          list.textContent = '';
          items.forEach(function (s) {
            found[s.name] = s;
            var o = document.createElement('option');
            o.value = s.name;
            o.label = describe(form, s);
            list.appendChild(o);
          });
          if (found[el.value]) info.textContent = describe(form, found[el.value]);
        });
    }, 200);
  }

  // The fee and the rule checks before filing: the application as typed, sent to the dry run
  // (nothing is written) a moment after the trader stops typing.
  var assessTimer = null;
  var assessSeq = 0;
  function money(m) {
    var exp = digits(m.currency);
    var scale = Math.pow(10, exp);
    var minor = Math.abs(m.minor_units);
    var cents = exp ? '.' + String(minor % scale).padStart(exp, '0') : '';
    return (m.minor_units < 0 ? '-' : '') + Math.floor(minor / scale) + cents + ' ' + m.currency;
  }
  function findingList(items, cls, suffix) {
    var ul = document.createElement('ul');
    items.forEach(function (f) {
      var li = document.createElement('li');
      li.className = cls;
      li.dataset.rule = f.rule || '';
      var rule = document.createElement('span');
      rule.className = 'rule';
      rule.textContent = f.rule || '';
      li.appendChild(rule);
      li.appendChild(document.createTextNode(' ' + (suffix ? '(' + suffix + ') ' : '') +
        (f.message || '') + (f.field ? ' (' + f.field + ')' : '')));
      ul.appendChild(li);
    });
    return ul;
  }
  // `a`: the dry run's answer; `problem`: why there is none (e.g. the organisation is not
  // verified yet), said in the box rather than left as a silent "fee unknown".
  function showAssessment(form, a, problem) {
    var box = document.getElementById('fee-preview-body');
    if (!box) return;
    box.textContent = '';
    var fee = document.createElement('p');
    fee.id = 'fee-preview-amount';
    if (a && a.fee) {
      fee.appendChild(document.createTextNode(form.dataset.tFee + ': '));
      var strong = document.createElement('strong');
      strong.textContent = money(a.fee);
      fee.dataset.minorUnits = a.fee.minor_units;
      fee.appendChild(strong);
    } else {
      fee.textContent = form.dataset.tNoFee;
    }
    box.appendChild(fee);
    if (!a && problem && problem.status && problem.status !== 400) {
      var why = document.createElement('p');
      why.id = 'fee-preview-problem';
      why.className = 'bad';
      why.setAttribute('role', 'status');
      why.textContent = '✗ ' + (problem.title || '') + (problem.detail ? ': ' + problem.detail : '');
      box.appendChild(why);
    }
    if (!a) return;
    var verdict = document.createElement('p');
    verdict.id = 'fee-preview-verdict';
    verdict.dataset.accepted = a.accepted ? 'true' : 'false';
    verdict.className = a.accepted ? 'good' : 'bad';
    verdict.textContent = a.accepted ? '✓ ' + form.dataset.tWouldAccept : '✗ ' + form.dataset.tWouldRefuse;
    box.appendChild(verdict);
    if (a.checks && a.checks.length) {
      var passed = a.checks.filter(function (c) { return c.outcome === 'passed'; }).length;
      var count = document.createElement('p');
      count.id = 'fee-preview-checks';
      count.textContent = passed + ' / ' + a.checks.length + ' ' + form.dataset.tChecksPassed;
      box.appendChild(count);
    }
    if (a.violations && a.violations.length) box.appendChild(findingList(a.violations, 'bad', ''));
    if (a.warnings && a.warnings.length) box.appendChild(findingList(a.warnings, 'warn', form.dataset.tWarning));
  }
  function assess(form) {
    if (!form || !form.dataset.assess) return;
    clearTimeout(assessTimer);
    assessTimer = setTimeout(function () {
      var payload;
      try { payload = body(form); } catch (e) { return; }
      if (form.dataset.permitId) payload.permit_id = form.dataset.permitId;
      var seq = ++assessSeq;
      fetch(form.dataset.assess, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf() },
        body: JSON.stringify(payload)
      }).then(function (res) {
        return res.json().catch(function () { return null; }).then(function (data) {
          if (seq !== assessSeq) return; // an older answer arriving late
          if (res.ok) showAssessment(form, data);
          else showAssessment(form, null, data);
        });
      }).catch(function () { if (seq === assessSeq) showAssessment(form, null); });
    }, 400);
  }
  function formChanged(event) {
    var form = event.target.form;
    if (form && form.id === 'application' && !event.target.matches('[data-document-file]')) assess(form);
  }

  // Supporting documents: each picked file is uploaded as it is (its own content type) and
  // kept by its SHA-256 as a hidden `application.supporting_documents.N`.
  function renumberDocuments() {
    document.querySelectorAll('#documents-list li input[type=hidden]').forEach(function (el, i) {
      el.name = 'application.supporting_documents.' + i;
    });
  }
  function addDocument(form, name, sha) {
    var list = document.getElementById('documents-list');
    if (list.querySelector('li[data-sha256="' + sha + '"]')) return;
    var li = document.createElement('li');
    li.dataset.sha256 = sha;
    li.appendChild(document.createTextNode(name + ' · '));
    var code = document.createElement('code');
    code.textContent = sha.slice(0, 12) + '…';
    code.title = sha;
    li.appendChild(code);
    var hidden = document.createElement('input');
    hidden.type = 'hidden';
    hidden.value = sha;
    li.appendChild(hidden);
    li.appendChild(document.createTextNode(' '));
    var remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'link';
    remove.dataset.removeDocument = '';
    remove.textContent = form.dataset.tRemove;
    remove.setAttribute('aria-label', form.dataset.tRemove + ' ' + name);
    li.appendChild(remove);
    list.appendChild(li);
    renumberDocuments();
  }
  function upload(event) {
    var el = event.target;
    if (!el.matches('[data-document-file]')) return;
    var form = el.form;
    var hint = document.getElementById('document-hint');
    Array.prototype.forEach.call(el.files, function (file) {
      hint.textContent = form.dataset.tUploading + ' ' + file.name;
      fetch(form.dataset.upload, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': file.type || 'application/octet-stream', 'X-CSRF-Token': csrf() },
        body: file
      }).then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) {
          if (!res.ok) throw data;
          addDocument(form, file.name, data.sha256);
          hint.textContent = '✓ ' + file.name;
          assess(form);
        });
      }).catch(function (problem) {
        hint.textContent = form.dataset.tUploadFailed + ': ' + file.name + ' · ' +
          ((problem && (problem.detail || problem.title)) || '');
      });
    });
    el.value = '';
  }

  // A download from the command API: it takes the session cookie only with the CSRF header,
  // which a plain link cannot send.
  function download(a) {
    fetch(a.href, { credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf() } })
      .then(function (res) { if (!res.ok) throw new Error(res.statusText); return res.blob(); })
      .then(function (blob) {
        var url = URL.createObjectURL(blob);
        var tmp = document.createElement('a');
        tmp.href = url;
        tmp.download = a.dataset.filename || 'document';
        document.body.appendChild(tmp);
        tmp.click();
        tmp.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
      })
      .catch(function (e) { a.textContent = a.textContent + ' ✗ ' + e.message; });
  }

  function extraClick(event) {
    var remove = event.target.closest('[data-remove-document]');
    if (remove) {
      var form = remove.closest('form');
      remove.closest('li').remove();
      renumberDocuments();
      assess(form);
      return;
    }
    var dl = event.target.closest('a[data-download]');
    if (dl) { event.preventDefault(); download(dl); return; }
    var scan = event.target.closest('[data-scan]');
    if (scan) startScan(scan);
    if (event.target.closest('[data-add-line], [data-remove-line]')) {
      assess(document.getElementById('application'));
    }
  }

  // Customs: read the permit's QR code with the camera where the browser can
  // (BarcodeDetector); the text field works everywhere.
  function startScan(button) {
    var form = button.form;
    var status = document.getElementById('scan-status');
    var video = document.getElementById('scan-video');
    var detector;
    try { detector = new window.BarcodeDetector({ formats: ['qr_code'] }); } catch (e) {
      status.textContent = button.dataset.tNoCamera; return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      status.textContent = button.dataset.tScanning;
      return video.play().then(function () {
        function stop() { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; }
        function tick() {
          detector.detect(video).then(function (codes) {
            if (codes.length) {
              stop();
              form.querySelector('#number').value = codes[0].rawValue;
              // A scanned code must be a ledger link: the server refuses any other in red.
              var scanned = document.createElement('input');
              scanned.type = 'hidden';
              scanned.name = 'scanned';
              scanned.value = '1';
              form.appendChild(scanned);
              form.submit();
            } else {
              requestAnimationFrame(tick);
            }
          }).catch(function () { stop(); status.textContent = button.dataset.tNoCamera; });
        }
        tick();
      });
    }).catch(function () { status.textContent = button.dataset.tNoCamera; });
  }

  function ready() {
    if ('BarcodeDetector' in window && navigator.mediaDevices) {
      document.querySelectorAll('[data-scan]').forEach(function (b) { b.hidden = false; });
    }
    assess(document.getElementById('application'));
  }

  // The language links keep the page's own query (a permit number, a year, a report's
  // filters); without the script they still switch, onto the page's first view.
  function keepQueryInLanguageLinks() {
    document.querySelectorAll('nav.langs a[hreflang]').forEach(function (a) {
      var q = new URLSearchParams(window.location.search);
      q.delete('position');
      q.set('lang', a.getAttribute('hreflang'));
      a.setAttribute('href', '?' + q.toString());
    });
  }

  // What admin.js (loaded after this script) shares rather than repeats.
  window.ecites = { csrf: csrf, put: put, show: show, digits: digits, minorUnits: minorUnits };

  // The sign-out form carries the double-submit token like every other state change.
  function signOutToken() {
    document.querySelectorAll('form.logout input[name=csrf]').forEach(function (i) { i.value = csrf(); });
  }

  document.addEventListener('DOMContentLoaded', keepQueryInLanguageLinks);
  document.addEventListener('DOMContentLoaded', signOutToken);
  document.addEventListener('submit', submit);
  document.addEventListener('click', click);
  document.addEventListener('click', extraClick);
  document.addEventListener('input', input);
  document.addEventListener('change', input);
  document.addEventListener('input', formChanged);
  document.addEventListener('change', formChanged);
  document.addEventListener('change', upload);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ready);
  else ready();
})();
