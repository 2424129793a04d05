#!/usr/bin/env node
/**
 * Checks the built documentation site in a real headless browser (Debian's
 * Chromium, driven by playwright-core), served from 127.0.0.1:
 *   - every page renders: it loads without a script error, a failed request or
 *     a console error, and shows its title and content;
 *   - no broken internal link or anchor: every link between pages reaches a
 *     page of the site, and every #fragment an element of the target page;
 *   - search finds a rule code: typing SEC005 into the site's search lists the
 *     rule's section of the rule catalog;
 *   - screenshots of three pages (and the search results) into $DOCS_SCREENSHOTS.
 *
 * Usage: node scripts/docs/check-site.js <site-dir> <screenshot-dir>
 * playwright-core is resolved from $PLAYWRIGHT_CORE_DIR (scripts/docs/check.sh installs it
 * outside the tree); Chromium from $CHROMIUM (default /usr/bin/chromium).
 */
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.xml': 'application/xml', '.gz': 'application/gzip',
};

function serve(root) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!fs.existsSync(file)) { res.writeHead(404).end('not found'); return; }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function htmlPages(root) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else if (e.name.endsWith('.html')) out.push(path.relative(root, p).split(path.sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

async function main() {
  const [siteArg, shotsArg] = process.argv.slice(2);
  if (!siteArg || !shotsArg) throw new Error('usage: check-site.js <site-dir> <screenshot-dir>');
  const site = path.resolve(siteArg);
  const shots = path.resolve(shotsArg);
  fs.mkdirSync(shots, { recursive: true });
  const { chromium } = require(require.resolve('playwright-core', { paths: [process.env.PLAYWRIGHT_CORE_DIR ?? process.cwd()] }));
  const server = await serve(site);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-docs-chromium-'));
  // the flags keep Chromium off the network (the machine has none besides package registries)
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  const problems = [];
  // DOCS_CHECK_ONLY (a regular expression) narrows the pages while working on the check itself
  const only = process.env.DOCS_CHECK_ONLY ? new RegExp(process.env.DOCS_CHECK_ONLY) : undefined;
  const pages = htmlPages(site).filter((p) => p !== '404.html' && (!only || only.test(p)));
  const ids = new Map();
  const links = [];
  let rendered = 0;
  try {
    const page = await context.newPage();
    // the API reference pages are large (several MB of HTML)
    page.setDefaultTimeout(600_000);
    let current = '';
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`${current}: console error: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`${current}: script error: ${e.message}`));
    // (net::ERR_ABORTED: a request the next navigation cancelled, e.g. the search index still loading; a missing file is a 404 below)
    page.on('requestfailed', (r) => {
      if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`${current}: request failed: ${r.url()} (${r.failure()?.errorText})`);
    });
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`${current}: ${r.status()} for ${r.url()}`); });
    for (const p of pages) {
      current = p;
      await page.goto(`${origin}/${p}`, { waitUntil: 'load' });
      const facts = await page.evaluate(() => ({
        title: document.querySelector('article h1')?.textContent?.trim() ?? '',
        text: document.querySelector('article')?.innerText.length ?? 0,
        ids: [...document.querySelectorAll('[id]')].map((e) => e.id).concat([...document.querySelectorAll('a[name]')].map((e) => e.getAttribute('name'))),
        links: [...document.querySelectorAll('a[href]')].map((a) => a.href),
      }));
      if (!facts.title || facts.text < 200) problems.push(`${p}: does not render (title ${JSON.stringify(facts.title)}, ${facts.text} characters)`);
      else rendered++;
      ids.set(p, new Set(facts.ids));
      for (const href of facts.links) links.push({ from: p, href });
    }
    // internal links and anchors
    let checkedLinks = 0;
    let checkedAnchors = 0;
    for (const { from, href } of links) {
      if (!href.startsWith(origin)) continue;
      const url = new URL(href);
      let target = decodeURIComponent(url.pathname).replace(/^\//, '');
      if (target === '' || target.endsWith('/')) target += 'index.html';
      checkedLinks++;
      if (!fs.existsSync(path.join(site, target))) { problems.push(`${from}: broken link ${href}`); continue; }
      if (url.hash && url.hash !== '#' && target.endsWith('.html') && ids.has(target)) {
        checkedAnchors++;
        const anchor = decodeURIComponent(url.hash.slice(1));
        if (!ids.get(target)?.has(anchor)) problems.push(`${from}: broken anchor ${href}`);
      }
    }
    // screenshots: the home page, a snippet with its Python tab selected, a rule of the catalog
    current = 'screenshots and search';
    await page.goto(`${origin}/index.html`, { waitUntil: 'load' });
    await page.screenshot({ path: path.join(shots, '1-home.png') });
    await page.goto(`${origin}/getting-started/first-mesh.html`, { waitUntil: 'load' });
    const tabs = page.locator('.tabbed-set').first();
    await tabs.locator('.tabbed-labels label', { hasText: 'Python' }).click();
    await tabs.scrollIntoViewIfNeeded();
    const pythonShown = await tabs.locator('.tabbed-block:visible code').first().innerText();
    if (!pythonShown.includes('MeshApp()') || pythonShown.includes('new MeshApp')) problems.push('first-mesh.html: the Python tab does not show the Python translation');
    await page.screenshot({ path: path.join(shots, '2-first-mesh-python.png') });
    await page.goto(`${origin}/analysis-rules.html#sec005`, { waitUntil: 'load' });
    await page.screenshot({ path: path.join(shots, '3-rule-sec005.png') });
    // search finds a rule code
    await page.goto(`${origin}/index.html`, { waitUntil: 'load' });
    await page.locator('input.md-search__input').click();
    await page.locator('input.md-search__input').pressSequentially('SEC005', { delay: 50 });
    // a result links to the rule's own section (the theme adds ?h=<query> to highlight it)
    const ruleSection = /\/analysis-rules\.html(\?[^#]*)?#sec005$/;
    try {
      await page.waitForFunction((re) => [...document.querySelectorAll('.md-search-result__item a')]
        .some((a) => new RegExp(re).test(a.href)), ruleSection.source, { timeout: 30_000 });
    } catch {
      const shown = await page.locator('.md-search-result__item a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      problems.push(`search: SEC005 does not list the rule's section analysis-rules.html#sec005 (results: ${JSON.stringify(shown.slice(0, 5))})`);
    }
    await page.screenshot({ path: path.join(shots, '4-search-sec005.png') });
    const searchHits = await page.locator('.md-search-result__item').count();
    for (const p of problems) console.log(`docs check: ${p}`);
    console.log(`docs check: ${pages.length} pages (${rendered} rendered), ${checkedLinks} internal links and ${checkedAnchors} anchors checked, `
      + `search "SEC005": ${searchHits} results; screenshots in ${shots}; ${problems.length} problem(s)`);
  } finally {
    await context.close();
    server.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  if (problems.length > 0) process.exit(1);
}

main().catch((e) => {
  console.error(`docs check: ${e.stack ?? e}`);
  process.exit(1);
});
