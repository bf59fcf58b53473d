/*
 * page.js - draws bphound's HTML report (cluster/html/page.html) from the
 * JSON in #bph-data: per cluster a force-directed host-artifact graph
 * (Debian's d3 3.5, inlined beside this file), an evidence panel for the
 * clicked node, the summary of how members came in, a sortable member
 * table. Safety: every value from the data goes into the page through
 * textContent or a fixed attribute (never parsed as markup), and
 * nothing here loads or sends anything (the page's CSP forbids it too).
 * Data fields: docs/output.md, "HTML page".
 */
(function () {
  'use strict';

  const data = JSON.parse(document.getElementById('bph-data').textContent);
  const times = { firstRender: null, layoutDone: null, ticks: 0, chunks: 0,
    longestChunk: 0 };
  window.bphTimes = times; /* read by tests and bench/html_render.sh */

  const RULE_DESC = [
    'a rare strong artifact (host key, certificate or its key)',
    'score from two families, one not weak',
    'over-cap artifacts concentrated in the cluster',
    'a lone host joining the cluster that dominates its /24'
  ];
  /* the artifact families' colours (cluster/cluster.h) */
  const FAMILY_COLOUR = {
    hostkey: '#1f5fbf', x509: '#3b82f6', favicon: '#e11d48', body: '#be185d',
    title: '#f59e0b', software: '#6b7280', tcp: '#9ca3af', netblock: '#2e8b57'
  };
  /* the order kinds are listed in a host's evidence */
  const KIND_ORDER = ['cert_subject', 'cert_issuer', 'title', 'server',
    'ssh_hostkey', 'cert_sha256', 'spki_sha256', 'favicon', 'body_sha256',
    'jarm', 'ja3s', 'hassh', 'header_hash', 'tcp_sig'];
  const TABLE_ROWS = 500; /* rows drawn before "show all" */
  const BIG = 2000; /* nodes: above, lighter layout and no dragging */

  /* ---- DOM helpers: text only ---- */
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function fmt(x) { return typeof x === 'number' ? x.toFixed(2) : String(x); }
  function art(a) {
    const r = data.arts[a];
    return { kind: r[0], value: r[1], df: r[2], weight: r[3], why: r[4],
      family: r[5], derived: r[6] };
  }
  function chip(cls) {
    return el('span', 'chip r' + cls, data.rules[cls] || '?');
  }
  function ipKey(ip) {
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
    if (!m) return ip;
    return ((+m[1] * 256 + +m[2]) * 256 + +m[3]) * 256 + +m[4];
  }

  /* ---- header ---- */
  function header() {
    const title = document.getElementById('title');
    const sub = document.getElementById('subtitle');
    if (data.seed !== null && data.seed_found) {
      title.textContent = 'bphound: the cluster of ' + data.seed;
      document.title = 'bphound: cluster of ' + data.seed;
    } else {
      title.textContent = 'bphound: every cluster of two hosts or more';
      if (data.seed !== null)
        add(sub, el('span', 'warn', 'The seed ' + data.seed +
          ' is not an answering host in the store; showing every cluster. '));
    }
    add(sub, el('span', 'muted', data.n_hosts + ' hosts in the store, ' +
      data.n_clusters + ' clusters (' + data.n_singletons +
      ' single hosts); score threshold ' + fmt(data.threshold) +
      (data.communities ? '; node colours are communities' : '')));
    const lg = document.getElementById('legend');
    data.rules.forEach(function (r, i) {
      const s = add(lg, el('span', null));
      add(s, el('span', 'sw' + (i ? ' weak' : ''))).style.borderTopColor =
        getComputedStyle(document.documentElement)
          .getPropertyValue('--' + r).trim();
      add(s, document.createTextNode(r + (i ? ' (weaker)' : '') + ': ' +
        RULE_DESC[i]));
    });
    add(lg, el('span', 'muted',
      'circles: hosts (black ring: seed); squares: shared artifacts'));
  }

  /* ---- one cluster ---- */
  function Cluster(cl, idx, parent) {
    this.cl = cl;
    const det = add(parent, el('details', 'cluster'));
    det.id = 'cluster-' + cl.id;
    const sm = add(det, el('summary'));
    add(sm, el('h2', null, 'Cluster ' + cl.id + ': ' + cl.hosts.length +
      ' host' + (cl.hosts.length === 1 ? '' : 's') + ', ' + cl.n_links +
      ' link' + (cl.n_links === 1 ? '' : 's')));
    if (cl.weak_bridge)
      add(sm, el('span', 'warn', '  held together by a weak bridge'));
    this.body = add(det, el('div', 'cbody'));
    this.built = false;
    const self = this;
    det.addEventListener('toggle', function () {
      if (det.open && !self.built) self.build();
    });
    if (idx === 0) {
      det.open = true; /* its toggle event comes later: build now */
      this.build();
    }
  }

  Cluster.prototype.build = function () {
    this.built = true;
    const b = this.body;
    this.summary(add(b, el('div', 'summary')));
    if (this.cl.history || this.cl.events) overTime(add(b, el('div')), this.cl);
    const grid = add(b, el('div', 'grid'));
    this.graphBox = add(grid, el('div', 'graph'));
    this.panel = add(grid, el('div', 'panel'));
    add(this.panel, el('p', 'muted',
      'Click a host or an artifact to see its evidence.'));
    this.tableBox = add(b, el('div'));
    this.table();
    if (this.cl.report) {
      const d = add(b, el('details'));
      add(d, el('summary', null, 'Text report (as bphound pivot prints it)'));
      add(d, el('pre', null, this.cl.report));
    }
    this.graph();
    if (this.cl.hosts.length === 1) this.select(this.hostNodes[0]);
  };

  /* members by the rule of the link that brought them in; the weaker
   * ones, to check first */
  Cluster.prototype.summary = function (box) {
    const cl = this.cl, n = [0, 0, 0, 0], weak = [];
    if (cl.remark || cl.annot) {
      const q = add(box, el('p', 'annot'));
      if (cl.remark) add(q, el('strong', null, cl.remark + '  '));
      (cl.annot || []).forEach(function (kv) {
        add(q, el('span', 'muted', kv[0] + ': '));
        add(q, el('span', null, kv[1] + '   '));
      });
    }
    cl.hosts.forEach(function (h, i) {
      if (!h.via) return;
      n[h.via.class]++;
      if (h.via.class > 0) weak.push(i);
    });
    add(box, el('span', null, 'Members brought in by: '));
    n.forEach(function (c, r) {
      const s = add(box, chip(r));
      s.textContent = c + ' ' + data.rules[r];
    });
    add(box, el('span', 'muted', '(from ' + cl.hosts[cl.root].ip +
      ', following the links breadth-first)'));
    if (!weak.length) return;
    weak.sort(function (a, b) {
      return cl.hosts[b].via.class - cl.hosts[a].via.class ||
        cl.hosts[a].via.score - cl.hosts[b].via.score;
    });
    const p = add(box, el('p', null,
      'Weaker links to check first (' + weak.length + '): '));
    const self = this;
    weak.slice(0, 30).forEach(function (i) {
      const a = add(p, el('a', 'jump', cl.hosts[i].ip));
      a.addEventListener('click', function () { self.select(self.hostNodes[i]); });
      add(p, document.createTextNode(' (' + cl.hosts[i].via.rule + ')  '));
    });
    if (weak.length > 30) add(p, el('span', 'muted', '...'));
  };

  /* ---- over time: sweep runs (cluster annotation "history") ---- */
  function scalar(v) {
    return v === null || typeof v !== 'object';
  }

  /* "k: v  k: v" of an object's scalar members */
  function pairs(o) {
    return Object.keys(o).filter(function (k) { return scalar(o[k]); })
      .map(function (k) { return k + ': ' + o[k]; }).join('  ');
  }

  function overTime(box, cl) {
    const runs = (cl.history || []).filter(function (r) {
      return r && typeof r === 'object';
    });
    if (runs.length) {
      add(box, el('h3', null, 'Over time: the cluster in each sweep run'));
      const W = 600, H = 90, max = d3.max(runs, function (r) {
        return +r.size || 0;
      }) || 1;
      const bw = Math.max(2, Math.min(40, W / runs.length - 2));
      const svg = d3.select(box).append('svg').attr('class', 'history')
        .attr('width', W).attr('height', H + 14);
      const bars = svg.selectAll('g').data(runs).enter().append('g')
        .attr('transform', function (r, i) {
          return 'translate(' + i * (bw + 2) + ',0)';
        });
      bars.append('rect').attr('width', bw)
        .attr('y', function (r) { return H - H * (+r.size || 0) / max; })
        .attr('height', function (r) { return H * (+r.size || 0) / max; })
        .attr('fill', '#1f5fbf');
      bars.append('title').text(pairs);
      svg.append('text').attr('x', 0).attr('y', H + 12)
        .attr('font-size', 10).text('max ' + max + ' hosts; ' + runs.length +
          ' runs (hover a bar for its run)');
      const t = add(box, el('table', 'members'));
      const keys = Object.keys(runs[0]).filter(function (k) {
        return scalar(runs[0][k]);
      });
      const hr = add(add(t, el('thead')), el('tr'));
      keys.forEach(function (k) { add(hr, el('th', null, k)); });
      const tb = add(t, el('tbody'));
      runs.slice(-20).forEach(function (r) {
        const tr = add(tb, el('tr'));
        keys.forEach(function (k) {
          add(tr, el('td', null, scalar(r[k]) ? r[k] : ''));
        });
      });
    }
    const ev = (cl.events || []).filter(function (e) {
      return e && typeof e === 'object';
    });
    if (ev.length) {
      add(box, el('h3', null, 'The last diff: ' + ev.length + ' event' +
        (ev.length === 1 ? '' : 's')));
      const ul = add(box, el('ul'));
      ev.slice(0, 200).forEach(function (e) { add(ul, el('li', null, pairs(e))); });
      if (ev.length > 200) add(box, el('p', 'muted', (ev.length - 200) + ' more'));
    }
  }

  /* ---- the graph ---- */
  Cluster.prototype.graph = function () {
    const cl = this.cl, self = this;
    const hostNodes = cl.hosts.map(function (h, i) {
      return { type: 'host', i: i, label: h.ip, edges: [] };
    });
    const artNodes = [], artIndex = {};
    const links = cl.edges.map(function (e) {
      let t = artIndex[e[1]];
      if (t === undefined) {
        const a = art(e[1]);
        t = artIndex[e[1]] = artNodes.length;
        artNodes.push({ type: 'art', a: e[1], label: a.kind + ': ' + a.value,
          family: a.family, edges: [] });
      }
      const l = { source: hostNodes[e[0]], target: artNodes[t], cls: e[2],
        w: art(e[1]).weight };
      hostNodes[e[0]].edges.push(l);
      artNodes[t].edges.push(l);
      return l;
    });
    const nodes = hostNodes.concat(artNodes);
    this.hostNodes = hostNodes;
    this.artNodes = artNodes;
    const big = nodes.length > BIG;
    place(hostNodes, artNodes);
    /* a big cluster: the force layout moves the artifacts alone */
    const simLinks = big ? artifactLinks(hostNodes, artNodes) : links;
    const groups = big ? hostGroups(hostNodes) : null;
    if (big) placeHosts(groups);
    const comm = d3.scale.category20();
    hostNodes.forEach(function (d) {
      const c = cl.hosts[d.i].community;
      d.fill = data.communities && c !== undefined ? comm(c) : '#3d4656';
      d.r = d.i === cl.root ? 8 : 5;
      d.seed = d.i === cl.root && data.seed_found;
    });
    artNodes.forEach(function (d) {
      d.fill = FAMILY_COLOUR[d.family] || '#a3a3a3';
    });

    const box = this.graphBox;
    const W = box.clientWidth || 800, H = box.clientHeight || 560;
    const view = (big ? CanvasView : SvgView)(box, W, H, nodes, links,
      function (d) { self.select(d); }, function () { self.clear(); });
    this.view = view;
    if (!times.graph)
      times.graph = { hosts: hostNodes.length, artifacts: artNodes.length,
        edges: links.length, renderer: big ? 'canvas' : 'svg' };
    const status = add(box, el('div', 'status', 'laying out ' +
      hostNodes.length + ' hosts and ' + artNodes.length + ' artifacts...'));
    let last = 0, chunking = true;
    function draw() {
      if (big) placeHosts(groups);
      view.draw();
    }
    draw();
    view.fit();
    if (times.firstRender === null) times.firstRender = performance.now();
    function done() {
      draw();
      view.fit();
      status.textContent = hostNodes.length + ' hosts, ' +
        artNodes.length + ' linking artifacts' +
        (big ? ' (drawn on a canvas)' : '') + '; drag the background to ' +
        'pan, wheel to zoom' + (big ? '' : ', drag a node to move it');
      if (times.layoutDone === null) times.layoutDone = performance.now();
      document.documentElement.setAttribute('data-layout', 'done');
    }
    const force = big
      ? d3.layout.force().nodes(artNodes).links(simLinks).size([0, 0])
        .charge(function (d) { return -40 - 10 * Math.sqrt(d.edges.length); })
        .linkDistance(40).linkStrength(0.3).gravity(0.05).friction(0.85)
      : d3.layout.force().nodes(nodes).links(links).size([0, 0])
        .charge(-70).linkStrength(0.7).gravity(0.08).friction(0.85)
        .linkDistance(function (l) { return 20 + 40 / (1 + l.w); });
    force.on('tick', function () {
      const now = performance.now();
      if (chunking || now - last < 30) return;
      last = now;
      draw();
    });
    /* d3 ticks once per animation frame; here, as many ticks as fit in
     * 50 ms per frame (a small graph: all at once), so the layout is
     * quick and a big one leaves the page answering between frames; a
     * big one is redrawn every 1.5 s while it settles */
    force.start();
    (function chunk() {
      const t0 = performance.now();
      const budget = !big && nodes.length < 600 ? 5000 : 50;
      let end = false;
      while (!end && performance.now() - t0 < budget) {
        end = force.tick();
        times.ticks++;
      }
      times.chunks++;
      if (end || force.alpha() <= 0) {
        chunking = false;
        done();
      } else if (performance.now() - last > (big ? 1500 : 250)) {
        last = performance.now();
        draw();
      }
      /* how long the page did not answer input, this frame */
      times.longestChunk = Math.max(times.longestChunk,
        performance.now() - t0);
      if (chunking) requestAnimationFrame(chunk);
    })();
    if (!big) view.drag(force.drag);
  };

  /* The transform that fits every node into W x H. */
  function fitTransform(nodes, W, H) {
    const xs = d3.extent(nodes, function (d) { return d.x; });
    const ys = d3.extent(nodes, function (d) { return d.y; });
    const s = Math.min(4, 0.9 * Math.min(W / (xs[1] - xs[0] + 40),
      H / (ys[1] - ys[0] + 40)));
    return [[W / 2 - s * (xs[0] + xs[1]) / 2, H / 2 - s * (ys[0] + ys[1]) / 2],
      s];
  }

  function edgeWidth(l) { return 0.8 + Math.min(l.w, 8) / 2; }

  /* SVG: one element per node and edge (what the tests read). */
  function SvgView(box, W, H, nodes, links, onSelect, onClear) {
    const svg = d3.select(box).append('svg');
    const root = svg.append('g');
    const zoom = d3.behavior.zoom().scaleExtent([0.02, 8])
      .on('zoom', function () {
        root.attr('transform', 'translate(' + d3.event.translate +
          ')scale(' + d3.event.scale + ')');
      });
    svg.call(zoom).on('dblclick.zoom', null);
    svg.on('click', function () {
      if (d3.event.target === svg.node()) onClear();
    });
    const edge = root.append('g').selectAll('line').data(links).enter()
      .append('line')
      .attr('class', function (d) { return 'edge r' + d.cls; })
      .attr('stroke-width', edgeWidth);
    const node = root.append('g').selectAll('g').data(nodes).enter()
      .append('g')
      .attr('class', function (d) {
        return 'node ' + d.type + (d.seed ? ' seed' : '');
      })
      .on('click', function (d) {
        d3.event.stopPropagation();
        onSelect(d);
      });
    node.filter(function (d) { return d.type === 'host'; })
      .append('circle')
      .attr('r', function (d) { return d.r; })
      .attr('fill', function (d) { return d.fill; });
    node.filter(function (d) { return d.type === 'art'; })
      .append('rect')
      .attr('x', -4).attr('y', -4).attr('width', 8).attr('height', 8)
      .attr('fill', function (d) { return d.fill; });
    node.append('title').text(function (d) { return d.label; });
    return {
      draw: function () {
        edge.attr('x1', function (d) { return d.source.x; })
          .attr('y1', function (d) { return d.source.y; })
          .attr('x2', function (d) { return d.target.x; })
          .attr('y2', function (d) { return d.target.y; });
        node.attr('transform', function (d) {
          return 'translate(' + d.x + ',' + d.y + ')';
        });
      },
      fit: function () {
        const t = fitTransform(nodes, W, H);
        zoom.translate(t[0]).scale(t[1]);
        root.attr('transform', 'translate(' + t[0] + ')scale(' + t[1] + ')');
      },
      drag: function (behaviour) { node.call(behaviour); },
      highlight: function (d, on, eon) {
        svg.classed('faded', !!d);
        node.classed('sel', function (n) { return n === d; })
          .classed('hi', function (n) { return on.has(n); });
        edge.classed('hi', function (l) { return eon.has(l); });
      }
    };
  }

  /* Canvas: a big cluster in one bitmap (an SVG of many thousand
   * elements takes seconds to paint); a click picks the nearest node. */
  function CanvasView(box, W, H, nodes, links, onSelect, onClear) {
    const ratio = window.devicePixelRatio || 1;
    const canvas = add(box, el('canvas'));
    canvas.width = W * ratio;
    canvas.height = H * ratio;
    canvas.style.width = W + 'px';
    canvas.style.height = H + 'px';
    const ctx = canvas.getContext('2d');
    const css = getComputedStyle(document.documentElement);
    const ruleColour = data.rules.map(function (r) {
      return css.getPropertyValue('--' + r).trim() || '#888';
    });
    const DASH = [[], [5, 3], [2, 3], [8, 3, 2, 3]];
    let t = [[0, 0], 1], sel = null, on = null, eon = null, tree = null;
    const zoom = d3.behavior.zoom().scaleExtent([0.02, 8])
      .on('zoom', function () {
        t = [d3.event.translate, d3.event.scale];
        paint();
      });
    d3.select(canvas).call(zoom).on('dblclick.zoom', null);
    canvas.addEventListener('click', function (ev) {
      const r = canvas.getBoundingClientRect();
      const x = (ev.clientX - r.left - t[0][0]) / t[1];
      const y = (ev.clientY - r.top - t[0][1]) / t[1];
      if (!tree) tree = d3.geom.quadtree().x(function (d) { return d.x; })
        .y(function (d) { return d.y; })(nodes);
      const hit = tree.find([x, y]);
      if (hit && Math.hypot(hit.x - x, hit.y - y) * t[1] < 12) onSelect(hit);
      else onClear();
    });
    function edges(faded) {
      for (let c = 0; c < 4; c++) {
        ctx.strokeStyle = ruleColour[c];
        ctx.setLineDash(DASH[c]);
        const byWidth = new Map();
        links.forEach(function (l) {
          if (l.cls !== c || (on && !faded && !eon.has(l))) return;
          const w = Math.round(edgeWidth(l) * 2) / 2;
          if (!byWidth.has(w)) byWidth.set(w, []);
          byWidth.get(w).push(l);
        });
        byWidth.forEach(function (ls, w) {
          ctx.lineWidth = w;
          ctx.beginPath();
          ls.forEach(function (l) {
            ctx.moveTo(l.source.x, l.source.y);
            ctx.lineTo(l.target.x, l.target.y);
          });
          ctx.stroke();
        });
      }
      ctx.setLineDash([]);
    }
    function dots(only) {
      nodes.forEach(function (d) {
        if (only && !only.has(d)) return;
        ctx.fillStyle = d.fill;
        if (d.type === 'host') {
          ctx.beginPath();
          ctx.arc(d.x, d.y, d.r, 0, 2 * Math.PI);
          ctx.fill();
          if (d.seed || d === sel) {
            ctx.lineWidth = 3;
            ctx.strokeStyle = d === sel ? '#e00' : '#000';
            ctx.stroke();
          }
        } else {
          ctx.fillRect(d.x - 4, d.y - 4, 8, 8);
          if (d === sel) {
            ctx.lineWidth = 3;
            ctx.strokeStyle = '#e00';
            ctx.strokeRect(d.x - 4, d.y - 4, 8, 8);
          }
        }
      });
    }
    function paint() {
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, W, H);
      ctx.setTransform(ratio * t[1], 0, 0, ratio * t[1], ratio * t[0][0],
        ratio * t[0][1]);
      ctx.globalAlpha = on ? 0.15 : 0.55;
      edges(true);
      ctx.globalAlpha = on ? 0.25 : 1;
      dots(null);
      if (on) {
        ctx.globalAlpha = 1;
        edges(false);
        dots(on);
      }
      ctx.globalAlpha = 1;
    }
    return {
      draw: function () { tree = null; paint(); },
      fit: function () {
        t = fitTransform(nodes, W, H);
        zoom.translate(t[0]).scale(t[1]);
        paint();
      },
      drag: function () {},
      highlight: function (d, o, e) {
        sel = d;
        on = d ? o : null;
        eon = e;
        paint();
      }
    };
  }

  /* The artifact graph of a big cluster: two artifacts joined when a
   * host carries both (its first 8 only), weighted by how many do. */
  function artifactLinks(hosts, arts) {
    const pairs = new Map(), out = [], n = arts.length;
    arts.forEach(function (a, j) { a.j = j; });
    hosts.forEach(function (h) {
      const js = h.edges.slice(0, 8).map(function (l) { return l.target.j; });
      for (let x = 0; x < js.length; x++)
        for (let y = x + 1; y < js.length; y++) {
          const k = Math.min(js[x], js[y]) * n + Math.max(js[x], js[y]);
          pairs.set(k, (pairs.get(k) || 0) + 1);
        }
    });
    pairs.forEach(function (w, k) {
      out.push({ source: arts[Math.floor(k / n)], target: arts[k % n], w: w });
    });
    return out;
  }

  /* Hosts grouped by the artifacts they are joined to. */
  function hostGroups(hosts) {
    const groups = new Map();
    hosts.forEach(function (h) {
      const key = h.edges.map(function (l) { return l.target.j; })
        .sort(function (a, b) { return a - b; }).join(',');
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(h);
    });
    return Array.from(groups.values());
  }

  /* Each group of hosts on a small sunflower at the middle of its
   * artifacts (a group on one artifact beside it, at its own angle). */
  function placeHosts(groups) {
    const golden = Math.PI * (3 - Math.sqrt(5));
    groups.forEach(function (g, gi) {
      const e = g[0].edges;
      let x = 0, y = 0;
      e.forEach(function (l) { x += l.target.x; y += l.target.y; });
      const off = e.length === 1 ? 12 + Math.sqrt(g.length) : 0;
      x = x / e.length + off * Math.cos(gi * golden);
      y = y / e.length + off * Math.sin(gi * golden);
      g.forEach(function (h, i) {
        const r = 2.5 * Math.sqrt(i + 0.5);
        h.x = x + r * Math.cos(i * golden);
        h.y = y + r * Math.sin(i * golden);
      });
    });
  }

  /* Initial positions: hosts on a sunflower spiral in address order (one
   * /24 close together), each artifact at the middle of its hosts. */
  function place(hosts, arts) {
    const golden = Math.PI * (3 - Math.sqrt(5));
    hosts.forEach(function (d, i) {
      const r = 12 * Math.sqrt(i + 0.5);
      d.x = r * Math.cos(i * golden);
      d.y = r * Math.sin(i * golden);
    });
    arts.forEach(function (d, j) {
      let x = 0, y = 0;
      d.edges.forEach(function (l) { x += l.source.x; y += l.source.y; });
      d.x = x / d.edges.length + 6 * Math.cos(j);
      d.y = y / d.edges.length + 6 * Math.sin(j);
    });
  }

  /* ---- selection and the evidence panel ---- */
  Cluster.prototype.clear = function () {
    this.view.highlight(null, new Set(), new Set());
    this.selected = null;
    this.markRow(-1);
  };

  Cluster.prototype.select = function (d) {
    if (!d) return;
    this.clear();
    this.selected = d;
    const on = new Set([d]);
    d.edges.forEach(function (l) { on.add(l.source); on.add(l.target); });
    this.view.highlight(d, on, new Set(d.edges));
    const p = this.panel;
    p.textContent = '';
    if (d.type === 'host') {
      this.hostPanel(p, d.i);
      this.markRow(d.i);
    } else {
      this.artPanel(p, d);
    }
  };

  Cluster.prototype.jump = function (parent, i) {
    const a = add(parent, el('a', 'jump', this.cl.hosts[i].ip));
    const self = this;
    a.addEventListener('click', function () { self.select(self.hostNodes[i]); });
    return a;
  };

  Cluster.prototype.hostPanel = function (p, i) {
    const cl = this.cl, h = cl.hosts[i], self = this;
    add(p, el('h3', 'mono', h.ip + (i === cl.root
      ? (data.seed_found ? '  (seed)' : '  (start of the chains)') : '')));
    const facts = 'cluster ' + cl.id +
      (h.community !== undefined ? ', community ' + h.community : '') +
      '; open ports: ' + (h.ports.length ? sortedPorts(h).join(', ') : 'none');
    add(p, el('p', null, facts));
    if (h.annot) {
      add(p, el('h3', null, 'Routing and registration'));
      const t = add(p, el('table'));
      h.annot.forEach(function (kv) {
        const r = add(t, el('tr'));
        add(r, el('th', null, kv[0]));
        add(r, el('td', 'value', kv[1]));
      });
    }
    if (h.via) {
      const v = h.via;
      const q = add(p, el('p'));
      add(q, document.createTextNode('Brought in by '));
      add(q, chip(v.class));
      if (v.rule !== data.rules[v.class]) add(q, el('code', null, ' ' + v.rule));
      add(q, document.createTextNode(' score ' + fmt(v.score) + ' with '));
      this.jump(q, v.from);
      if (v.bridge) add(q, el('span', 'warn', '  bridge: removing it ' +
        'splits the cluster'));
      const t = add(p, el('table'));
      const hr = add(t, el('tr'));
      ['kind', 'shared value', 'ports', 'hosts', 'weight', 'rule']
        .forEach(function (s) { add(hr, el('th', null, s)); });
      v.evidence.forEach(function (e) {
        const a = art(e[0]), r = add(t, el('tr'));
        add(r, el('td', null, a.kind));
        add(r, el('td', 'value', a.value));
        add(r, el('td', null, a.derived ? '' : e[2] + '/' + e[3]));
        add(r, el('td', null, a.df));
        add(r, el('td', null, fmt(a.weight)));
        add(r, el('td', null, data.rules[e[1]]));
      });
      this.chain(p, i);
    }
    add(p, el('h3', null, 'Evidence (' + h.arts.length + ' artifacts)'));
    const t = add(p, el('table'));
    const hr = add(t, el('tr'));
    ['kind', 'value', 'hosts sharing', 'weight'].forEach(function (s) {
      add(hr, el('th', null, s));
    });
    const linking = new Map();
    this.hostNodes[i].edges.forEach(function (l) {
      linking.set(l.target.a, l.target);
    });
    sortedArts(h.arts).forEach(function (ai) {
      const a = art(ai), r = add(t, el('tr'));
      add(r, el('td', null, a.kind));
      const v = add(r, el('td', 'value'));
      if (linking.has(ai)) {
        const j = add(v, el('a', 'jump', a.value));
        j.title = 'links this host in the graph';
        j.addEventListener('click', function () {
          self.select(linking.get(ai));
        });
      } else {
        v.textContent = a.value;
      }
      add(r, el('td', null, a.df));
      add(r, el('td', null, fmt(a.weight) + (a.why ? ' (' + a.why + ')' : '')));
    });
    if (h.explain) {
      add(p, el('h3', null, 'Why it is in the cluster (--explain)'));
      add(p, el('pre', null, h.explain));
    }
  };

  /* the chain of links from member i back to the root */
  Cluster.prototype.chain = function (p, i) {
    const cl = this.cl;
    if (cl.hosts[i].via.from === cl.root) return;
    const q = add(p, el('p', null, 'Chain back to ' + cl.hosts[cl.root].ip +
      ': '));
    for (let u = i, n = 0; cl.hosts[u].via && n < 1000; n++) {
      if (n) add(q, document.createTextNode(' \u2192 '));
      this.jump(q, u);
      add(q, document.createTextNode(' (' + cl.hosts[u].via.rule + ')'));
      u = cl.hosts[u].via.from;
    }
  };

  function sortedArts(list) {
    return list.slice().sort(function (x, y) {
      const a = art(x), b = art(y);
      let ka = KIND_ORDER.indexOf(a.kind), kb = KIND_ORDER.indexOf(b.kind);
      if (ka < 0) ka = 99;
      if (kb < 0) kb = 99;
      return ka - kb || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0);
    });
  }

  Cluster.prototype.artPanel = function (p, d) {
    const a = art(d.a), self = this;
    add(p, el('h3', null, a.kind + (a.family ? ' (family ' + a.family + ')'
      : '')));
    add(p, el('pre', 'value', a.value));
    add(p, el('p', null, (a.derived ? 'hosts in the block: '
      : 'hosts sharing it (whole store): ') + a.df + '; weight ' +
      fmt(a.weight) + (a.why ? ' (' + a.why + ')' : '')));
    add(p, el('h3', null, 'Members linked through it (' + d.edges.length +
      ')'));
    const t = add(p, el('table'));
    d.edges.forEach(function (l) {
      const r = add(t, el('tr'));
      self.jump(add(r, el('td')), l.source.i);
      add(add(r, el('td')), chip(l.cls));
    });
  };

  /* ---- the member table ---- */
  const COLUMNS = [
    { name: 'host', cls: 'ip', key: function (h) { return ipKey(h.ip); },
      text: function (h) { return h.ip; } },
    { name: 'brought in by', key: function (h) { return h.via ? h.via.class : -1; },
      text: function (h, cl) {
        return h.via ? h.via.rule : (h === cl.hosts[cl.root] ? 'start' : '');
      } },
    { name: 'from', key: function (h, cl) {
      return h.via ? ipKey(cl.hosts[h.via.from].ip) : -1;
    }, text: function (h, cl) { return h.via ? cl.hosts[h.via.from].ip : ''; } },
    { name: 'score', key: function (h) { return h.via ? h.via.score : -1; },
      text: function (h) { return h.via ? fmt(h.via.score) : ''; } },
    { name: 'ports', key: function (h) { return h.ports.length; },
      text: function (h) { return sortedPorts(h).join(' '); } },
    { name: 'community', key: function (h) { return h.community || 0; },
      text: function (h) { return h.community === undefined ? '' : h.community; } },
    { name: 'title', key: function (h) { return kindValues(h, 'title'); },
      text: function (h) { return kindValues(h, 'title'); } },
    { name: 'certificate subject',
      key: function (h) { return kindValues(h, 'cert_subject'); },
      text: function (h) { return kindValues(h, 'cert_subject'); } }
  ];

  /* A column for each of the first 6 annotation keys of the members. */
  function annotColumns(cl) {
    const keys = [];
    cl.hosts.forEach(function (h) {
      (h.annot || []).forEach(function (kv) {
        if (keys.length < 6 && keys.indexOf(kv[0]) < 0) keys.push(kv[0]);
      });
    });
    return keys.map(function (k) {
      function value(h) {
        const kv = (h.annot || []).find(function (x) { return x[0] === k; });
        return kv ? kv[1] : '';
      }
      return { name: k, key: value, text: value };
    });
  }

  function sortedPorts(h) {
    return h.ports.slice().sort(function (a, b) { return a - b; });
  }

  function kindValues(h, kind) {
    const out = [];
    h.arts.forEach(function (a) {
      if (data.arts[a][0] === kind) out.push(data.arts[a][1]);
    });
    return out.join(' | ');
  }

  Cluster.prototype.table = function () {
    const cl = this.cl, self = this;
    const cols = COLUMNS.filter(function (c) {
      return c.name !== 'community' || data.communities;
    }).concat(annotColumns(cl));
    this.order = cl.hosts.map(function (h, i) { return i; });
    this.limit = TABLE_ROWS;
    const wrap = add(this.tableBox, el('div', 'tablewrap'));
    const t = add(wrap, el('table', 'members'));
    const hr = add(add(t, el('thead')), el('tr'));
    this.tbody = add(t, el('tbody'));
    this.cols = cols;
    cols.forEach(function (c) {
      const th = add(hr, el('th', null, c.name));
      th.addEventListener('click', function () {
        const asc = !th.classList.contains('sorted-asc');
        hr.querySelectorAll('th').forEach(function (x) {
          x.classList.remove('sorted-asc', 'sorted-desc');
        });
        th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
        self.order.sort(function (x, y) {
          const a = c.key(cl.hosts[x], cl), b = c.key(cl.hosts[y], cl);
          const r = a < b ? -1 : a > b ? 1 : x - y;
          return asc ? r : -r;
        });
        self.rows();
      });
    });
    this.more = add(this.tableBox, el('button', null, ''));
    this.more.addEventListener('click', function () {
      self.limit = cl.hosts.length;
      self.rows();
    });
    this.rows();
  };

  Cluster.prototype.rows = function () {
    const cl = this.cl, self = this, tb = this.tbody;
    tb.textContent = '';
    this.rowOf = new Map();
    this.order.slice(0, this.limit).forEach(function (i) {
      const r = add(tb, el('tr'));
      self.rowOf.set(i, r);
      self.cols.forEach(function (c) {
        add(r, el('td', c.cls || null, c.text(cl.hosts[i], cl)));
      });
      r.addEventListener('click', function () {
        self.select(self.hostNodes[i]);
      });
    });
    const hidden = cl.hosts.length - Math.min(this.limit, cl.hosts.length);
    this.more.hidden = hidden <= 0;
    this.more.textContent = 'show all ' + cl.hosts.length + ' members (' +
      hidden + ' more)';
    if (this.selected && this.selected.type === 'host')
      this.markRow(this.selected.i);
  };

  Cluster.prototype.markRow = function (i) {
    if (!this.rowOf) return;
    this.rowOf.forEach(function (r, j) { r.classList.toggle('sel', j === i); });
  };

  /* ---- start ---- */
  header();
  const main = document.getElementById('clusters');
  if (!data.clusters.length)
    add(main, el('p', 'muted', 'No cluster of two hosts or more in the store.'));
  data.clusters.forEach(function (cl, i) { new Cluster(cl, i, main); });
})();
