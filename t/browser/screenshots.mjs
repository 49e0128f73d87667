// The screenshots of the viewer page in docs/http-api.md:
// docs/view-rendering.png (mid-render) and docs/view-done.png. Run by
// `make docs-screenshots` (scripts/test-browser serves the page as for the
// tests).
//
// Mid-render is taken from /stream/ when the module streams; before that,
// from /slow/, the module's own PNG for the same request sent slowly by
// nginx, which the page reads and paints the same way.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const BASE = process.env.BROWSER_TEST_URL;
const PREFIX = process.env.BROWSER_TEST_PREFIX;
const STREAM = process.env.BROWSER_TEST_STREAM === '1';
const DOCS = new URL('../../docs/', import.meta.url);
const QUERY = 'spp=256&w=320&h=240&format=png';

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'smallpt-chromium-'));
const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    userDataDir: profile,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update',
           '--disable-sync', '--hide-scrollbars'],
});

async function shot(url, name, ready) {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 860, height: 530 });
    await page.goto(BASE + url, { waitUntil: 'load' });
    await page.waitForFunction(ready, { timeout: 120000, polling: 20 });
    const file = new URL(name, DOCS);
    await page.screenshot({ path: file.pathname });
    await context.close();
    console.log(`${file.pathname}: ${fs.statSync(file).size} bytes, ${url}`);
}

try {
    fs.mkdirSync(DOCS, { recursive: true });

    let location = '/stream/';
    if (!STREAM) {
        location = '/slow/';
        const res = await fetch(BASE + '/?' + QUERY);
        fs.writeFileSync(path.join(PREFIX, 'slow/image.png'),
                         Buffer.from(await res.arrayBuffer()));
    }

    // two fifths of the rows painted
    await shot(location + 'view?' + QUERY, 'view-rendering.png', () => {
        const s = document.getElementById('status');
        const m = / (\d+) of (\d+) rows$/.exec(s.textContent);
        return s.dataset.state === 'rendering' && m && m[1] / m[2] >= 0.4;
    });
    await shot('/view?' + QUERY, 'view-done.png', () =>
        document.getElementById('status').dataset.state === 'done');
} finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
}
