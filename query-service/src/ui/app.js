// eCITES web UI: the only script. Sends `form.command` as JSON to the command API on the same
// origin (session cookie + double-submit CSRF header), then opens `data-next` at the command's
// read-your-writes position; shows refusals with their rule ids. Also: the application form's
// extra lines and the species picker. No build step, no dependency.
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

  function value(el) {
    var v = el.value.trim();
    switch (el.dataset.type) {
      case 'number': return Number(v);
      case 'bool': return v === 'true';
      case 'json': return JSON.parse(v);
      case 'lines': return v.split('\n').map(function (s) { return s.trim(); }).filter(Boolean);
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
      info.classList.toggle('warn', !!found[el.value].suspended);
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

  document.addEventListener('submit', submit);
  document.addEventListener('click', click);
  document.addEventListener('input', input);
  document.addEventListener('change', input);
})();
