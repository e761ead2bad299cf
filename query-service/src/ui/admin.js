// eCITES web UI: the admin pages' script. Sends `form.admin` as JSON to the command API on the
// same origin (session cookie + double-submit CSRF header) like app.js does for `form.command`,
// with what the admin forms add: amounts typed in major units sent as integer minor units
// (exact decimal arithmetic, never floating point), rows of a table (`fieldset[data-row]`),
// ticked boxes as lists, `{name}` in the URL taken from the field of that name, and an answer
// shown in the page (`data-result`) instead of a new page. Also the set-password link's token
// (read from the URL fragment) and the species import's progress (polled).
(function () {
  'use strict';

  // From app.js, loaded first: the CSRF cookie, dotted names into JSON, refusals in the form,
  // and the currency table with its exact decimal parsing.
  var csrf = window.ecites.csrf;
  var put = window.ecites.put;
  var show = window.ecites.show;

  // "25.5" with exponent 2 → 2550; refuses what the minor unit cannot hold, naming the field.
  function minor(text, exp, field) {
    var n = window.ecites.minorUnits(text, exp);
    if (isNaN(n)) {
      throw { title: field + ': ' + JSON.stringify(text), violations: [{ rule: 'AMOUNT', field: field,
        message: 'a non-negative amount with at most ' + exp + ' decimal places' }] };
    }
    return n;
  }

  function value(el, form, field) {
    var v = el.value.trim();
    switch (el.dataset.type) {
      case 'number': return Number(v);
      case 'minor': return minor(v, window.ecites.digits(currencyOf(form)), field);
      case 'base64':
        if (!el.dataset.base64) {
          throw { title: field + ': the file is still being read; send again', violations: [] };
        }
        return el.dataset.base64;
      default: return v;
    }
  }

  function currencyOf(form) {
    var c = form.querySelector('[name=currency]');
    return c ? c.value.trim().toUpperCase() : '';
  }

  function body(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.closest('fieldset[data-row]')) return;
      if (el.type === 'checkbox' && el.dataset.type === 'bool') {
        put(out, el.name, el.checked);
        return;
      }
      if (el.type === 'checkbox') {
        if (out[el.name] === undefined) out[el.name] = [];
        if (el.checked) out[el.name].push(el.value);
        return;
      }
      if (el.type === 'radio' && !el.checked) return;
      if (el.value.trim() === '') return;
      put(out, el.name, value(el, form, el.name));
    });
    form.querySelectorAll('fieldset[data-row]').forEach(function (row) {
      var key = row.dataset.row;
      if (out[key] === undefined) out[key] = [];
      var amounts = row.querySelectorAll('[data-type=minor]');
      var filled = Array.prototype.some.call(amounts, function (el) { return el.value.trim() !== ''; });
      if (!filled) return;
      var item = {};
      var index = out[key].length;
      row.querySelectorAll('[data-key]').forEach(function (el) {
        var k = el.dataset.key;
        if (el.value.trim() === '') {
          if (el.dataset.type === 'minor') item[k] = 0; else item[k] = null;
          return;
        }
        item[k] = value(el, form, key + '[' + index + '].' + k);
      });
      out[key].push(item);
    });
    return out;
  }

  // `{name}` in the URL from the body's field `name`, which then leaves the body.
  function url(template, payload) {
    return template.replace(/\{(\w+)\}/g, function (_, k) {
      var v = payload[k];
      delete payload[k];
      return encodeURIComponent(v === undefined ? '' : v);
    });
  }

  function post(path, payload) {
    return fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf() },
      body: JSON.stringify(payload)
    }).then(function (res) {
      return res.json().catch(function () { return { title: res.statusText }; }).then(function (data) {
        if (!res.ok) throw data;
        return data;
      });
    });
  }

  // A new user's (or a new) set-password link, shown once.
  function showLink(box, data) {
    var a = box.querySelector('a');
    var link = location.origin + box.dataset.linkBase + '#token=' + data.set_password_token;
    a.href = link;
    a.textContent = link;
    box.hidden = false;
    box.focus();
  }

  // A chosen file (a specimen's image) is read at once, so that the form sends its bytes as
  // base64 in the JSON body like every other field.
  function readFile(event) {
    var el = event.target;
    if (!el.matches('input[type=file][data-type=base64]')) return;
    delete el.dataset.base64;
    var file = el.files && el.files[0];
    if (!file) return;
    var reader = new FileReader();
    reader.onload = function () {
      var url = String(reader.result);
      el.dataset.base64 = url.slice(url.indexOf(',') + 1);
    };
    reader.readAsDataURL(file);
  }

  function submit(event) {
    var form = event.target;
    if (!form.matches('form.admin')) return;
    event.preventDefault();
    var again = form.querySelector('[data-same-as]');
    if (again) {
      var first = document.getElementById(again.dataset.sameAs);
      again.setCustomValidity(first && first.value !== again.value ? again.dataset.tMismatch : '');
    }
    if (!form.reportValidity()) return;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    var button = form.querySelector('button[type=submit]');
    var label = button.textContent;
    var payload, path;
    try {
      payload = body(form);
      path = url(form.dataset.command, payload);
    } catch (e) {
      show(form, e && typeof e === 'object' ? e : { title: String(e) });
      return;
    }
    button.disabled = true;
    button.textContent = form.dataset.tWorking || '…';
    // A refusal of the previous try must not stand while this one is on its way.
    form.querySelector('.problem').textContent = '';
    post(path, payload).then(function (data) {
      if (form.dataset.result) {
        button.disabled = false;
        button.textContent = label;
        form.querySelector('.problem').textContent = '';
        showLink(document.getElementById(form.dataset.result), data);
        return;
      }
      var next = form.dataset.next;
      if (data.position) next += (next.indexOf('?') < 0 ? '?' : '&') + 'position=' + encodeURIComponent(data.position);
      location.assign(next);
    }).catch(function (problem) {
      button.disabled = false;
      button.textContent = label;
      show(form, problem && typeof problem === 'object' ? problem : { title: String(problem) });
    });
  }

  // The species import: start it, then follow it until it ends.
  var box = document.getElementById('import-progress');
  var steps = box ? JSON.parse(box.dataset.steps || '{}') : {};
  function text(id, v) { document.getElementById(id).textContent = v; }
  function render(job) {
    if (!job) return;
    box.hidden = false;
    var state = { running: box.dataset.tRunning, done: box.dataset.tDone, failed: box.dataset.tFailed }[job.state];
    var step = steps[job.phase] || job.phase;
    text('import-state', state + (job.state === 'running' ? ' · ' + step : ''));
    box.dataset.state = job.state;
    var bar = document.getElementById('import-bar');
    if (job.state !== 'running') {
      bar.max = 1; bar.value = 1;
    } else if (job.total > 0) {
      bar.max = job.total; bar.value = job.done;
    } else {
      bar.removeAttribute('value');
    }
    text('import-read', job.read === null ? '–' : job.read);
    text('import-recorded', job.recorded);
    text('import-unchanged', job.unchanged === null ? '–' : job.unchanged);
    text('import-errors', job.errors.length);
    var list = document.getElementById('import-error-list');
    list.textContent = '';
    job.errors.forEach(function (e) {
      var li = document.createElement('li');
      li.textContent = e;
      list.appendChild(li);
    });
    var r = job.report;
    text('import-report', r ? [box.dataset.tNew + ': ' + r.new, box.dataset.tChanged + ': ' + r.changed,
      box.dataset.tAlready + ': ' + r.already_recorded].join(' · ') : '');
  }
  function follow(path) {
    fetch(path, { credentials: 'same-origin', headers: { 'Accept': 'application/json', 'X-CSRF-Token': csrf() } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (data) {
        if (!data || !data.import) return;
        render(data.import);
        if (data.import.state === 'running') setTimeout(function () { follow(path); }, 400);
      });
  }
  function startImport(event) {
    var form = event.target;
    if (form.id !== 'species-import') return;
    event.preventDefault();
    var source = form.querySelector('[name=source]:checked');
    var button = form.querySelector('button[type=submit]');
    button.disabled = true;
    form.querySelector('.problem').textContent = '';
    post(form.dataset.command, { source: source ? source.value : '' }).then(function (data) {
      button.disabled = false;
      form.querySelector('.problem').textContent = '';
      render(data.import);
      follow(form.dataset.command);
    }).catch(function (problem) {
      button.disabled = false;
      show(form, problem && typeof problem === 'object' ? problem : { title: String(problem) });
    });
  }

  // "Revise": the row's values into the form, to change and send again.
  function fill(event) {
    var button = event.target.closest('[data-fill]');
    if (!button) return;
    var form = document.querySelector('form[data-action="' + button.dataset.fill + '"]');
    var values = JSON.parse(button.dataset.values || '{}');
    Object.keys(values).forEach(function (k) {
      var el = form.querySelector('[name="' + k + '"]');
      if (!el) return;
      if (el.type === 'checkbox') el.checked = values[k] === true || values[k] === 'true';
      else el.value = values[k] === null || values[k] === undefined ? '' : String(values[k]);
    });
    form.scrollIntoView();
    form.querySelector('[name]:not([type=hidden])').focus();
  }

  document.addEventListener('submit', submit);
  document.addEventListener('change', readFile);
  document.addEventListener('click', fill);
  document.addEventListener('submit', startImport);
  var importForm = document.getElementById('species-import');
  if (importForm) follow(importForm.dataset.command);

  // The set-password page: the token travels in the fragment, never to a server's log.
  var token = document.querySelector('[data-token-from-fragment]');
  if (token) {
    var m = /(?:^#|&)token=([0-9a-f]+)/.exec(location.hash);
    token.value = m ? m[1] : '';
    history.replaceState(null, '', location.pathname + location.search);
  }
})();
