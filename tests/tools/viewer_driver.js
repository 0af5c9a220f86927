// Opens a page in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) from an HTTP server on 127.0.0.1, and prints what it
// rendered as one JSON object on stdout.
//
//   node viewer_driver.js MODULES speedscope TRACE.json [SCREENSHOT.png]
//     speedscope (from MODULES) imports TRACE.json from its #profileURL, as
//     a user would open it; prints the profile (thread) names it made, the
//     frame names of its Sandwich table for every profile, and the page text.
//   node viewer_driver.js MODULES page FILE.html [SCREENSHOT.png] [SELECTOR...]
//     prints, per CSS selector, the elements that match: their text (table
//     cells separated by tabs), data-*
//     attributes and whether they were laid out with a size; and every URL
//     the page requested.
//
// Console errors and page errors are printed too: a viewer that threw while
// importing has not accepted the file, whatever it drew.
'use strict';
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const [modules, mode, file, screenshot, ...selectors] = process.argv.slice(2);
const { chromium } = require(path.join(modules, 'playwright-core'));

const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
                '.wasm': 'application/wasm', '.woff2': 'font/woff2', '.png': 'image/png', '.ico': 'image/x-icon' };

// Serves /file/<name> from `file` and /viewer/... from the speedscope build;
// nothing else, so a page that reaches further fails visibly in the log.
function serve(viewerDir) {
    const server = http.createServer((req, res) => {
        const url = new URL(req.url, 'http://127.0.0.1');
        if (url.pathname === '/favicon.ico') {  // asked for by Chromium itself, not by the page
            res.writeHead(204).end();
            return;
        }
        let target = null;
        if (url.pathname === '/file/' + path.basename(file)) target = file;
        else if (viewerDir && url.pathname.startsWith('/viewer/')) {
            const resolved = path.resolve(viewerDir, '.' + decodeURIComponent(url.pathname.slice(7)));
            if (resolved.startsWith(viewerDir + path.sep)) target = resolved;
        }
        if (!target || !fs.existsSync(target) || !fs.statSync(target).isFile()) {
            res.writeHead(404).end();
            return;
        }
        res.writeHead(200, { 'Content-Type': types[path.extname(target)] || 'application/octet-stream' });
        fs.createReadStream(target).pipe(res);
    });
    return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function launch() {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ehtrace-chromium-'));
    // The network here is closed: without the background-networking flags
    // Chromium keeps trying hosts it cannot reach.
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: process.env.EHTRACE_CHROMIUM || '/usr/bin/chromium',
        headless: true,
        viewport: { width: 1280, height: 720 },
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    return { context, profile };
}

// speedscope draws frames on a canvas; its Sandwich view lists them as
// text ("<name> <args as JSON>", one line per frame), and its profile
// selector is a table with one row per thread.
async function speedscope(page, base, result) {
    const trace = `${base}/file/${path.basename(file)}`;
    await page.goto(`${base}/viewer/index.html#profileURL=${encodeURIComponent(trace)}`);
    const sandwich = page.getByText(/Sandwich$/);
    await sandwich.waitFor({ timeout: 30000 });  // the toolbar appears once the import succeeded
    await page.waitForTimeout(500);
    if (screenshot) await page.screenshot({ path: screenshot });
    result.text = await page.evaluate(() => document.body.innerText);
    result.profiles = await page.$$eval('tr[title]', rows => rows.map(r => r.getAttribute('title')));
    await sandwich.click();
    result.frames = {};
    for (let i = 0; i < result.profiles.length; ++i) {
        if (i > 0) await page.keyboard.press('n');  // speedscope's key for the next profile
        await page.getByText(new RegExp(`\\(${i + 1}/${result.profiles.length}\\)$`)).waitFor({ timeout: 10000 });
        await page.waitForTimeout(300);
        const lines = (await page.evaluate(() => document.body.innerText)).split('\n').map(l => l.trim());
        const table = lines.slice(lines.findIndex(l => l.endsWith('Symbol Name')) + 1);
        result.frames[result.profiles[i]] = table.filter(l => /^[^\s{]+( \{.*\})?$/.test(l) && !/^[0-9.]+[a-z]*s$/.test(l))
            .map(l => l.split(' {')[0]);
    }
}

async function report(page, base, result) {
    await page.goto(`${base}/file/${path.basename(file)}`);
    await page.waitForLoadState('load');
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    result.text = await page.evaluate(() => document.body.innerText);
    result.selectors = {};
    for (const s of selectors) {
        result.selectors[s] = await page.$$eval(s, nodes => nodes.map(n => ({
            text: (n.innerText ?? n.textContent).trim(), data: { ...n.dataset },
            rendered: n.getBoundingClientRect().width > 0 && n.getBoundingClientRect().height > 0 })));
    }
    result.requests = requests;
}

const requests = [];

(async () => {
    const viewerDir = mode === 'speedscope'
        ? path.resolve(modules, 'speedscope', 'dist', 'release') : null;
    const server = await serve(viewerDir);
    const base = `http://127.0.0.1:${server.address().port}`;
    const result = { errors: [] };
    let context = null, profile = null;
    try {
        ({ context, profile } = await launch());
        const page = context.pages()[0] || await context.newPage();
        page.on('console', m => { if (m.type() === 'error') result.errors.push('console: ' + m.text()); });
        page.on('pageerror', e => result.errors.push('page: ' + e.message));
        page.on('dialog', d => { result.errors.push('dialog: ' + d.message()); d.dismiss(); });
        page.on('request', r => requests.push(r.url()));
        if (mode === 'speedscope') await speedscope(page, base, result);
        else await report(page, base, result);
    } catch (e) {
        result.errors.push('driver: ' + e.message);
    } finally {
        if (context) await context.close();
        server.close();
        if (profile) fs.rmSync(profile, { recursive: true, force: true });
    }
    process.stdout.write(JSON.stringify(result) + '\n');
})();
