// The viewer page (html/view.html) in Debian's Chromium, headless, driven
// over the DevTools protocol by puppeteer-core. Run by scripts/test-browser
// (make test-browser), which serves the project's nginx.conf with the
// module and the locations of t/browser/locations.conf, and says where:
//
//   BROWSER_TEST_URL     http://127.0.0.1:PORT
//   BROWSER_TEST_PREFIX  nginx's prefix directory (slow/ and fixture/ in it)
//   BROWSER_TEST_STREAM  1 when the module has smallpt_stream (/stream/)
//   BROWSER_TEST_SIGNED_URL  http://127.0.0.1:PORT of nginx.conf served
//                        with BROWSER_TEST_URL_SECRET as SMALLPT_URL_SECRET
//                        and SMALLPT_RATE_LIMIT=1r/m, SMALLPT_RATE_BURST=5
//   CHROMIUM             the browser (default /usr/bin/chromium)
//   MIDSTREAM_LOCATIONS  where the mid-stream check renders, e.g. "/" to
//                        see it fail on a response that does not stream
//
// The pixels are compared with smallpt.cpp's own images
// (tracer/tests/data) and with the server's PPM for the same request.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import puppeteer from 'puppeteer-core';

const BASE = process.env.BROWSER_TEST_URL;
const PREFIX = process.env.BROWSER_TEST_PREFIX;
const STREAM = process.env.BROWSER_TEST_STREAM === '1';
const SIGNED_BASE = process.env.BROWSER_TEST_SIGNED_URL;
const URL_SECRET = process.env.BROWSER_TEST_URL_SECRET;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const DATA = new URL('../../tracer/tests/data/', import.meta.url);

if (!BASE || !PREFIX) {
    throw new Error('run by scripts/test-browser (make test-browser): '
                    + 'BROWSER_TEST_URL and BROWSER_TEST_PREFIX are unset');
}

// a failed image load is a console error in Chromium: expected for 400,
// 403 (unsigned), 429 (too often), 503
const STATUS_ERROR = /^Failed to load resource: the server responded with a status of (400|403|429|503)\b/;

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

let browser;
let profile;

before(async () => {
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'smallpt-chromium-'));
    browser = await puppeteer.launch({
        executablePath: CHROMIUM,
        headless: true,
        userDataDir: profile,
        // as root, and on a machine that reaches nothing but itself
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
               '--no-first-run', '--disable-background-networking',
               '--disable-component-update', '--disable-sync'],
    });
});

after(async () => {
    if (browser) {
        await browser.close();
    }
    fs.rmSync(profile, { recursive: true, force: true });
});


// --- helpers ---------------------------------------------------------------

// a page in a context of its own (its own cache), with its console errors,
// uncaught exceptions and requests recorded; closed when the test ends
async function open(t, url, base = BASE) {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    const log = { errors: [], requests: [] };

    t.after(() => context.close());
    page.on('console', m => {
        if (m.type() === 'error') {
            log.errors.push(m.text());
        }
    });
    page.on('pageerror', e => log.errors.push('uncaught: ' + e.message));
    page.on('request', r => log.requests.push(r.url()));
    await page.setViewport({ width: 1000, height: 800 });
    await page.goto(base + url, { waitUntil: 'load' });

    return { page, context, log };
}

function unexpectedErrors(log) {
    return log.errors.filter(e => !STATUS_ERROR.test(e));
}

// the status line's state and text
function status(page) {
    return page.$eval('#status', e => ({ state: e.dataset.state,
                                         text: e.textContent }));
}

// waits until the status line is in one of the states, and returns it
async function settled(page, states = ['done', 'error'], timeout = 60000) {
    await page.waitForFunction(
        s => s.includes(document.getElementById('status').dataset.state),
        { timeout, polling: 50 }, states);
    return status(page);
}

async function done(page, timeout) {
    const s = await settled(page, ['done', 'error'], timeout);
    assert.equal(s.state, 'done', 'the render failed: ' + s.text);
}

// the canvas: its size and RGBA pixels
async function canvas(page) {
    const c = await page.evaluate(() => {
        const c = document.getElementById('canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let s = '';
        for (let i = 0; i < d.length; i += 0x8000) {
            s += String.fromCharCode.apply(null, d.subarray(i, i + 0x8000));
        }
        return { width: c.width, height: c.height,
                 hidden: c.getClientRects().length === 0, rgba: btoa(s) };
    });
    c.rgba = Buffer.from(c.rgba, 'base64');
    return c;
}

// One look at the page, taken at one instant (a single evaluate: the page
// runs nothing in between): its state; how many rows from the top are
// painted (every pixel opaque); whether every row below them is still
// untouched (every pixel transparent); the painted rows' pixels.
function look(page) {
    return page.evaluate(() => {
        const state = document.getElementById('status').dataset.state;
        const c = document.getElementById('canvas');
        if (c.getClientRects().length === 0) {     /* not shown */
            return { state, rows: 0, below: true, t: performance.now() };
        }
        const w = c.width, h = c.height;
        const d = c.getContext('2d').getImageData(0, 0, w, h).data;
        const all = (y, alpha) => {
            for (let x = 0; x < w; x++) {
                if (d[(y * w + x) * 4 + 3] !== alpha) {
                    return false;
                }
            }
            return true;
        };
        let rows = 0;
        while (rows < h && all(rows, 255)) {
            rows++;
        }
        let below = true;
        for (let y = rows; y < h && below; y++) {
            below = all(y, 0);
        }
        let s = '';
        const top = d.subarray(0, rows * w * 4);
        for (let i = 0; i < top.length; i += 0x8000) {
            s += String.fromCharCode.apply(null, top.subarray(i, i + 0x8000));
        }
        return { state, width: w, height: h, rows, below,
                 t: performance.now(), rgba: btoa(s) };
    });
}

async function bytes(url) {
    const res = await fetch(BASE + url);
    assert.equal(res.status, 200, url);
    return Buffer.from(await res.arrayBuffer());
}

// the access log once it has `count` lines that match `re`: nginx writes
// a request's line just after the answer's last byte, so a client that
// has the answer can be ahead of its line
async function accessLogWith(re, count) {
    const deadline = Date.now() + 10000;
    for (;;) {
        const text = fs.readFileSync(path.join(PREFIX, 'access.log'), 'utf8');
        const n = text.split('\n').filter(line => re.test(line)).length;
        if (n >= count) {
            return text;
        }
        assert.ok(Date.now() < deadline, `premise: ${count} lines ${re} `
                                          + `in the access log, ${n} in 10 s`);
        await sleep(20);    // the poll's period
    }
}

// a P3 PPM (smallpt.cpp's format): its size and RGB pixels
function parsePpm(buf) {
    const tokens = buf.toString('latin1').trim().split(/\s+/);
    assert.equal(tokens[0], 'P3', 'not a P3 PPM');
    const [width, height, max] = tokens.slice(1, 4).map(Number);
    assert.equal(max, 255);
    assert.equal(tokens.length, 4 + width * height * 3, 'PPM samples');
    return { width, height, rgb: Uint8Array.from(tokens.slice(4), Number) };
}

function reference(name) {
    return parsePpm(fs.readFileSync(new URL(name, DATA)));
}

// the server's own PPM for a request
async function serverPpm(query) {
    return parsePpm(await bytes('/?' + query + '&format=ppm'));
}

// are the first `rows` rows of RGBA pixels (opaque) those of the RGB image?
function samePixels(rgba, image, rows = image.height) {
    for (let i = 0; i < rows * image.width; i++) {
        const x = i % image.width, y = (i - x) / image.width;
        for (let k = 0; k < 3; k++) {
            if (rgba[i * 4 + k] !== image.rgb[i * 3 + k]) {
                return `pixel (${x}, ${y}) channel ${k}: `
                       + `${rgba[i * 4 + k]}, expected ${image.rgb[i * 3 + k]}`;
            }
        }
        if (rgba[i * 4 + 3] !== 255) {
            return `pixel (${x}, ${y}) is not opaque: alpha ${rgba[i * 4 + 3]}`;
        }
    }
    return null;
}

async function assertPicture(page, image) {
    const c = await canvas(page);
    assert.equal(c.hidden, false, 'the canvas is hidden');
    assert.deepEqual([c.width, c.height], [image.width, image.height],
                     'the picture\'s size');
    assert.equal(samePixels(c.rgba, image), null);
}


// --- PNG files for the decoder's cases ---------------------------------------

const CRC = new Int32Array(256).map((_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) {
        c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    return c;
});

function chunk(type, data) {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    let crc = -1;
    for (const b of Buffer.concat([head.subarray(4), data])) {
        crc = CRC[(crc ^ b) & 0xff] ^ (crc >>> 8);
    }
    const tail = Buffer.alloc(4);
    tail.writeInt32BE(crc ^ -1, 0);
    return Buffer.concat([head, data, tail]);
}

// A PNG of `samples` (rows of width * channels samples, 8 or 16 bits), each
// row filtered with filter (row % 5): none, sub, up, average, paeth. The
// filters are written here from the PNG specification, independently of
// the page's decoder.
function makePng(width, height, depth, color, channels, samples, extra = []) {
    const bpp = channels * depth / 8, stride = width * bpp;
    const raw = [];
    let prior = Buffer.alloc(stride);

    for (let y = 0; y < height; y++) {
        const line = Buffer.alloc(stride);
        for (let i = 0; i < width * channels; i++) {
            const v = samples[y * width * channels + i];
            if (depth === 16) {
                line.writeUInt16BE(v, i * 2);
            } else {
                line[i] = v;
            }
        }
        const filter = y % 5, out = Buffer.alloc(stride + 1);
        out[0] = filter;
        for (let i = 0; i < stride; i++) {
            const a = i >= bpp ? line[i - bpp] : 0, b = prior[i];
            const c = i >= bpp ? prior[i - bpp] : 0;
            const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b),
                  pc = Math.abs(p - c);
            const predict = [0, a, b, (a + b) >> 1,
                             pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
            out[i + 1] = (line[i] - predict) & 0xff;
        }
        raw.push(out);
        prior = line;
    }

    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(width, 0);
    ihdr.writeUInt32BE(height, 4);
    ihdr[8] = depth;
    ihdr[9] = color;
    const idat = zlib.deflateSync(Buffer.concat(raw));
    // the image data in IDAT chunks of 100 bytes: data split mid-chunk too
    const idats = [];
    for (let i = 0; i < idat.length; i += 100) {
        idats.push(chunk('IDAT', idat.subarray(i, i + 100)));
    }
    return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
                          chunk('IHDR', ihdr), ...extra, ...idats,
                          chunk('IEND', Buffer.alloc(0))]);
}

// pseudo-random samples (a fixed LCG), the same on every run
function noise(n, max, seed) {
    const out = new Array(n);
    let s = seed;
    for (let i = 0; i < n; i++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        out[i] = (s >>> 8) % (max + 1);
    }
    return out;
}

function fixture(name, data) {
    fs.writeFileSync(path.join(PREFIX, 'fixture', name), data);
}


// --- the tests ----------------------------------------------------------------

test('the page loads with no console error and asks for nothing else',
     async t => {
    const { page, log } = await open(t, '/view');

    assert.equal(await page.title(), 'smallpt');
    // the fields, with the module's defaults and ranges
    const fields = await page.evaluate(() => ['spp', 'w', 'h', 'format'].map(
        id => [id, document.getElementById(id).value,
               document.getElementById(id + '-hint').textContent]));
    assert.deepEqual(fields, [['spp', '4', '4 to 1024'],
                              ['w', '1024', '1 to 2048 pixels'],
                              ['h', '768', '1 to 2048 pixels'],
                              ['format', 'png', 'png or ppm']]);
    assert.deepEqual(await status(page), {
        state: 'idle', text: 'Choose the parameters and press Render.' });
    // no render without parameters, nothing from elsewhere (no favicon):
    // what must not happen has no evidence to wait for; 300 ms give the
    // page the time it would take to ask (it asks at once when it does)
    await sleep(300);
    assert.deepEqual(log.requests, [BASE + '/view']);
    assert.deepEqual(log.errors, []);
});


test('a finished PNG has the requested size and the PPM\'s pixels',
     async t => {
    const query = 'spp=8&w=160&h=120';
    const { page, log } = await open(t, '/view?' + query + '&format=png');

    await done(page);
    const ppm = await serverPpm(query);
    await assertPicture(page, ppm);
    // which are smallpt.cpp's own
    await assertPicture(page, reference('160x120_spp8.ppm'));

    // the render time, the size, the request the page made
    assert.match((await status(page)).text, new RegExp(
        '^Rendered in \\d+\\.\\d+ s( \\(\\d+\\.\\d+ s on the server\\))?: '
        + '160 × 120 PNG, \\d+\\.\\d kB\\.$'));
    assert.ok(log.requests.includes(BASE + '/?' + query + '&format=png'),
              log.requests.join(' '));
    assert.deepEqual(log.errors, []);
});


test('odd sizes: every row and column in place', async t => {
    for (const [query, format] of [['spp=4&w=97&h=31', 'png'],
                                   ['spp=4&w=1&h=7', 'png'],
                                   ['spp=4&w=13&h=1', 'ppm']]) {
        const { page, log } = await open(t, `/view?${query}&format=${format}`);
        await done(page);
        await assertPicture(page, await serverPpm(query));
        assert.deepEqual(log.errors, []);
    }
});


test('a finished PPM has smallpt.cpp\'s pixels', async t => {
    const { page, log } = await open(t, '/view?spp=4&w=64&h=48&format=ppm');

    await done(page);
    await assertPicture(page, reference('64x48_spp4.ppm'));
    assert.match((await status(page)).text, /: 64 × 48 PPM, 22\.9 kB\.$/);
    assert.deepEqual(log.errors, []);
});


// The mid-stream check: the page is looked at every 40 ms while it renders.
// It passes when two looks at different times caught the picture partly
// painted, with different numbers of rows, each time with the painted rows
// equal to smallpt.cpp's and every row below them untouched; then the
// finished picture must be whole and right. A response that arrives at
// once is decoded in a few milliseconds, between two looks: it fails.
async function assertPaintsWhileStreaming(t, location, query, image) {
    const url = location.replace(/\/?$/, '/') + 'view?' + query;
    const { page, log } = await open(t, url);
    const partial = [];
    const deadline = Date.now() + 120000;
    let last;

    for (;;) {
        last = await look(page);
        if (last.state !== 'rendering') {
            break;
        }
        assert.ok(Date.now() < deadline, `${url}: still rendering after 120 s`);
        if (last.rows > 0 && last.rows < last.height) {
            partial.push(last);
        }
        await sleep(40);
    }

    assert.equal(last.state, 'done', 'the render failed: '
                 + (await status(page)).text);
    const counts = [...new Set(partial.map(p => p.rows))];
    assert.ok(counts.length >= 2,
              `${url}: the picture was never seen partly painted twice `
              + `(rows seen mid-render: ${counts.join(', ') || 'none'} `
              + `of ${image.height})`);
    for (const p of partial) {
        assert.deepEqual([p.width, p.height], [image.width, image.height]);
        assert.ok(p.below, `${url}: rows below the ${p.rows} painted `
                  + 'ones are not blank');
        assert.equal(samePixels(Buffer.from(p.rgba, 'base64'), image, p.rows),
                     null, `${url}: the first ${p.rows} rows`);
    }
    t.diagnostic(`${url}: seen mid-render with ${counts.join(', ')} `
                 + `of ${image.height} rows, over `
                 + `${Math.round(partial.at(-1).t - partial[0].t)} ms`);
    await assertPicture(page, image);
    assert.deepEqual(log.errors, []);
}

const midstream = (process.env.MIDSTREAM_LOCATIONS || '').split(/\s+/)
                                                          .filter(Boolean);

test('a render paints its rows while they arrive', async t => {
    // the module's own PNG and PPM, sent slowly by nginx (limit_rate)
    fs.writeFileSync(path.join(PREFIX, 'slow/image.png'),
                     await bytes('/?spp=8&w=160&h=120&format=png'));
    fs.writeFileSync(path.join(PREFIX, 'slow/image.ppm'),
                     await bytes('/?spp=4&w=64&h=48&format=ppm'));

    for (const location of midstream.length ? midstream : ['/slow/']) {
        await t.test(`PNG from ${location}`, t => assertPaintsWhileStreaming(
            t, location, 'spp=8&w=160&h=120&format=png',
            reference('160x120_spp8.ppm')));
        await t.test(`PPM from ${location}`, t => assertPaintsWhileStreaming(
            t, location, 'spp=4&w=64&h=48&format=ppm',
            reference('64x48_spp4.ppm')));
    }
});


// The spp at which a 160x120 render takes about `ms` milliseconds on this
// server, from the render time (Server-Timing) of a small one: the page is
// looked at every 40 ms, and a render over before two looks would fail the
// test on a fast CPU, not the page. At least 512.
async function sppFor(ms) {
    const res = await fetch(BASE + '/long/?spp=64&w=160&h=120');
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const timing = res.headers.get('Server-Timing') || '';
    const took = Number((timing.match(/render;dur=([\d.]+)/) || [])[1]);
    assert.ok(took > 0, 'no render time in Server-Timing: ' + timing);
    return Math.max(512, Math.ceil(64 * ms / took / 4) * 4);
}


test('a streamed render paints its rows as the module renders them',
     { skip: !STREAM && !midstream.length
             && 'the module has no smallpt_stream yet' }, async t => {
    // long enough a render to be looked at many times, on any CPU
    const query = `spp=${await sppFor(2000)}&w=160&h=120`;
    const image = parsePpm(await bytes('/long/?' + query + '&format=ppm'));

    for (const location of midstream.length ? midstream : ['/stream/']) {
        await t.test(`PNG from ${location}`, t => assertPaintsWhileStreaming(
            t, location, query + '&format=png', image));
        await t.test(`PPM from ${location}`, t => assertPaintsWhileStreaming(
            t, location, query + '&format=ppm', image));
    }
});


test('a bad parameter: the 400\'s reason next to its field', async t => {
    const cases = [
        ['spp=3&w=64&h=48', 'spp',
         '3 is too small; expected an integer from 4 to 1024'],
        ['spp=4&w=4096&h=48', 'w',
         '4096 is too large; expected an integer from 1 to 2048'],
        ['spp=4&w=64&h=x', 'h',
         'not a decimal integer; expected an integer from 1 to 2048'],
        // the formats the module knows may grow: its own reason is shown
        ['spp=4&w=64&h=48&format=gif', 'format', null],
    ];

    for (let [query, name, reason] of cases) {
        const res = await fetch(BASE + '/?' + query);
        const body = await res.text();
        assert.equal(res.status, 400, query);
        reason ??= body.trim().slice(name.length + 2);
        assert.equal(body, `${name}: ${reason}\n`, 'the server\'s 400');

        const { page, log } = await open(t, '/view?' + query);
        const s = await settled(page);
        assert.equal(s.state, 'error');
        assert.equal(s.text, `Not rendered: ${name}: ${reason}.`);
        const shown = await page.evaluate(() => Object.fromEntries(
            ['spp', 'w', 'h', 'format'].map(id => {
                const error = document.getElementById(id + '-error');
                const input = document.getElementById(id);
                return [id, {
                    text: error.textContent,
                    // beside the field: in its box, and visible
                    beside: input.parentElement.contains(error)
                            && error.getClientRects().length > 0,
                    invalid: input.getAttribute('aria-invalid') }];
            })));
        for (const id of ['spp', 'w', 'h', 'format']) {
            assert.deepEqual(shown[id], id === name
                ? { text: reason, beside: true, invalid: 'true' }
                : { text: '', beside: false, invalid: null }, query + ': ' + id);
        }
        // no picture, no link
        assert.equal((await canvas(page)).hidden, true);
        assert.equal(await page.$eval('#download',
                                      a => a.getClientRects().length), 0);
        assert.deepEqual(unexpectedErrors(log), []);
    }
});


test('a bad spp typed in the form: its reason, then a good one clears it',
     async t => {
    const { page } = await open(t, '/view');

    await page.$eval('#w', e => { e.value = ''; });
    await page.type('#w', '64');
    await page.$eval('#h', e => { e.value = ''; });
    await page.type('#h', '48');
    await page.$eval('#spp', e => { e.value = ''; });
    await page.type('#spp', '3');
    await page.click('#render');
    assert.equal((await settled(page)).state, 'error');
    assert.equal(await page.$eval('#spp-error', e => e.textContent),
                 '3 is too small; expected an integer from 4 to 1024');
    assert.equal(new URL(page.url()).search, '?spp=3&w=64&h=48&format=png');

    await page.$eval('#spp', e => { e.value = ''; });
    await page.type('#spp', '4');
    await page.click('#render');
    await done(page);
    assert.equal(await page.$eval('#spp-error', e => e.textContent), '');
    assert.equal(await page.$eval('#spp', e => e.getAttribute('aria-invalid')),
                 null);
    await assertPicture(page, reference('64x48_spp4.ppm'));
});


test('the URL is the view: shared, reloaded, it renders the same',
     async t => {
    const { page, log } = await open(t, '/view');

    for (const [id, value] of [['spp', '8'], ['w', '40'], ['h', '30']]) {
        await page.$eval('#' + id, e => { e.value = ''; });
        await page.type('#' + id, value);
    }
    await page.select('#format', 'ppm');
    await page.click('#render');
    await done(page);
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search,
                 '/view?spp=8&w=40&h=30&format=ppm');
    const image = await serverPpm('spp=8&w=40&h=30');
    await assertPicture(page, image);

    // two 200s for it so far, the page's and serverPpm's (a context of its
    // own: the browser's cache started empty)
    const rendered = /"GET \/\?spp=8&w=40&h=30&format=ppm HTTP\/1\.1" 200 /;
    const before = await accessLogWith(rendered, 2);
    log.requests.length = 0;
    await page.reload({ waitUntil: 'load' });
    await done(page);
    assert.deepEqual(log.requests, [BASE + '/view?spp=8&w=40&h=30&format=ppm',
                                    BASE + '/?spp=8&w=40&h=30&format=ppm']);
    assert.deepEqual(await page.evaluate(() => ['spp', 'w', 'h', 'format'].map(
        id => document.getElementById(id).value)), ['8', '40', '30', 'ppm']);
    await assertPicture(page, image);
    // the browser had the image: it did not render again. It took it
    // from its cache (Cache-Control: immutable), or asked with the ETag
    // and nginx said 304; no 200 for it reached the access log
    // (the reload's own line first: its page's)
    const after = (await accessLogWith(
        /"GET \/view\?spp=8&w=40&h=30&format=ppm HTTP\/1\.1" \d{3} /, 1))
        .slice(before.length);
    assert.doesNotMatch(after, rendered);
    assert.deepEqual(log.errors, []);
});


test('a 503 from a full pool: a countdown from Retry-After, then the render',
     async t => {
    // long renders (/hog/, smallpt_render_threads 1024) until the pool's
    // threads are busy and its queue is full: a render is refused at once.
    // A probe that is not refused waits in the queue: it is dropped.
    const hogs = [];
    t.after(() => hogs.forEach(h => h.destroy()));
    let full = null;
    for (let i = 0; i < 10 && !full; i++) {
        const hog = http.get(BASE + '/hog/?spp=1000000&w=2048&h=2048');
        hog.on('error', () => {});
        hogs.push(hog);
        // pacing only: whether the pool is full is the probe's 503
        await sleep(200);
        const probe = await fetch(BASE + '/full/?spp=4&w=8&h=8',
                                  { signal: AbortSignal.timeout(500) })
                          .catch(() => null);
        if (probe && probe.status === 503) {
            await probe.arrayBuffer();
            full = probe;
        }
    }
    assert.ok(full, 'the pool never became full');
    assert.equal(full.headers.get('Retry-After'), '3');

    const { page, log } = await open(t, '/full/view?spp=4&w=64&h=48');
    const busy = 'The server is busy (render queue full; try again later). ';
    await page.waitForFunction(
        t => document.getElementById('status').textContent === t,
        { timeout: 5000, polling: 20 }, busy + 'Retrying in 3 s\u2026');
    assert.equal((await status(page)).state, 'wait');
    await page.waitForFunction(
        t => document.getElementById('status').textContent === t,
        { timeout: 2500, polling: 20 }, busy + 'Retrying in 2 s\u2026');
    await page.waitForFunction(
        t => document.getElementById('status').textContent === t,
        { timeout: 2500, polling: 20 }, busy + 'Retrying in 1 s\u2026');

    // the pool frees up: the page tries again by itself and renders
    hogs.forEach(h => h.destroy());
    await done(page, 30000);
    await assertPicture(page, reference('64x48_spp4.ppm'));
    const renders = log.requests.filter(u => u.startsWith(BASE + '/full/?'));
    assert.ok(renders.length >= 2, 'tries: ' + renders.join(' '));
    assert.deepEqual(unexpectedErrors(log), []);
});


// scripts/sign-url's output for the signed server
function sign(...args) {
    return execFileSync('scripts/sign-url', args,
        { env: { ...process.env, SMALLPT_URL_SECRET: URL_SECRET } })
        .toString().trim();
}

// the signed server's renders count against this client's rate limit
// (1 a minute after a burst of 5): this test renders twice, the next one
// runs the rest out
test('a signed view: the signed URL rendered, the secret never in the page; '
     + 'other fields refused with the reason', async t => {
    const view = sign('--view', '--lifetime', '600',
                      '/?spp=4&w=64&h=48&format=ppm');
    assert.match(view, /^\/view\?spp=4&w=64&h=48&format=ppm&expires=\d+&md5=[\w-]{22}$/);
    const { page, log } = await open(t, view, SIGNED_BASE);

    // the render URL the signature is for, exactly; the page's URL stays
    await done(page);
    await assertPicture(page, reference('64x48_spp4.ppm'));
    const render = SIGNED_BASE + view.replace(/^\/view\?/, '/?');
    assert.deepEqual(log.requests, [SIGNED_BASE + view, render]);
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search,
                 view);
    assert.ok(!(await page.content()).includes(URL_SECRET));

    // another spp is not signed: refused, and the page says why
    await page.$eval('#spp', e => { e.value = ''; });
    await page.type('#spp', '8');
    await page.click('#render');
    assert.deepEqual(await settled(page), {
        state: 'error',
        text: 'Not rendered (403): md5: missing; expected a signed URL, '
              + 'ending in expires=EXPIRES&md5=SIGNATURE.' });
    assert.equal(log.requests.at(-1),
                 SIGNED_BASE + '/?spp=8&w=64&h=48&format=ppm');

    // back to what was signed: rendered again, from the signed URL
    await page.$eval('#spp', e => { e.value = ''; });
    await page.type('#spp', '4');
    await page.click('#render');
    await done(page);
    assert.equal(log.requests.at(-1), render);
    assert.deepEqual(unexpectedErrors(log), []);
});


test('a 429 for a client that asks too often: a countdown from Retry-After',
     async t => {
    // this client's burst, run out
    const url = sign('--lifetime', '600', '/?spp=4&w=8&h=8');
    let limited = null;
    for (let i = 0; i < 10 && !limited; i++) {
        const res = await fetch(SIGNED_BASE + url);
        await res.arrayBuffer();
        if (res.status === 429) {
            limited = res;
        }
    }
    assert.ok(limited, 'no 429 after 10 renders at 1r/m with a burst of 5');
    assert.equal(limited.headers.get('Retry-After'), '60');

    const { page, log } = await open(
        t, sign('--view', '--lifetime', '600', '/?spp=4&w=64&h=48'),
        SIGNED_BASE);
    await page.waitForFunction(
        t => document.getElementById('status').textContent === t,
        { timeout: 5000, polling: 20 },
        'Asked too often (too many requests: more than 1r/m from this '
        + 'address; retry after 60 s). Retrying in 60 s\u2026');
    assert.equal((await status(page)).state, 'wait');
    assert.deepEqual(unexpectedErrors(log), []);
});


// clicks the download link and returns the name Chromium saved it under,
// and the bytes it saved
async function downloadFile(t, page, context) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smallpt-download-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const cdp = await browser.target().createCDPSession();
    t.after(() => cdp.detach());
    await cdp.send('Browser.setDownloadBehavior', {
        behavior: 'allow', downloadPath: dir,
        browserContextId: context.id, eventsEnabled: true });
    const begun = new Promise(r => cdp.on('Browser.downloadWillBegin', r));
    const completed = new Promise(r => cdp.on('Browser.downloadProgress',
                                             e => e.state === 'completed' && r(e)));
    await page.click('#download');
    const { suggestedFilename } = await begun;
    await completed;
    assert.deepEqual(fs.readdirSync(dir), [suggestedFilename]);
    return [suggestedFilename, fs.readFileSync(path.join(dir, suggestedFilename))];
}

test('the download link saves the image under Content-Disposition\'s name',
     async t => {
    for (const [location, query, name] of [
            ['/', 'spp=4&w=64&h=48&format=png', 'image.png'],
            ['/', 'spp=4&w=64&h=48&format=ppm', 'image.ppm'],
            ['/named/', 'spp=4&w=64&h=48&format=png', 'smallpt-64x48-4.png']]) {
        const { page, context, log } = await open(t, location + 'view?' + query);
        await done(page);
        assert.deepEqual(await page.$eval('#download', a => [
            a.getClientRects().length > 0, a.download, a.textContent,
            a.href.slice(0, 5)]), [true, name, 'Download ' + name, 'blob:']);
        const [saved, data] = await downloadFile(t, page, context);
        assert.equal(saved, name);
        // the bytes the server sent
        assert.ok(data.equals(await bytes(location + '?' + query)),
                  name + ': the saved bytes differ from the response');
        if (name === 'image.ppm') {
            assert.ok(data.equals(fs.readFileSync(new URL('64x48_spp4.ppm', DATA))));
        }
        assert.deepEqual(log.errors, []);
    }
});


test('PNG decoding: every filter, bit depth and color type', async t => {
    const w = 37, h = 23, n = w * h;
    const rgb = noise(n * 3, 255, 1), gray = noise(n, 255, 2);
    const deep = noise(n * 4, 65535, 3).map((v, i) => i % 4 === 3 ? 65535 : v);
    const palette = noise(16 * 3, 255, 4), index = noise(n, 15, 5);

    const expect = {
        'rgb8.png': rgb,
        'gray8.png': gray.flatMap(g => [g, g, g]),
        'rgba16.png': deep.filter((_, i) => i % 4 !== 3).map(v => v >> 8),
        // indexed colour: the page leaves it to the browser's decoder
        'palette.png': index.flatMap(k => palette.slice(k * 3, k * 3 + 3)),
    };
    fixture('rgb8.png', makePng(w, h, 8, 2, 3, rgb));
    fixture('gray8.png', makePng(w, h, 8, 0, 1, gray));
    fixture('rgba16.png', makePng(w, h, 16, 6, 4, deep));
    fixture('palette.png', makePng(w, h, 8, 3, 1, index,
                                   [chunk('PLTE', Buffer.from(palette))]));

    for (const [name, pixels] of Object.entries(expect)) {
        const { page, log } = await open(t, '/fixture/view?format=' + name);
        await done(page);
        await assertPicture(page, { width: w, height: h,
                                    rgb: Uint8Array.from(pixels) });
        assert.deepEqual(log.errors, [], name);
    }
});


test('a response cut short or damaged is said to be, and not offered',
     async t => {
    const png = await bytes('/?spp=8&w=160&h=120&format=png');
    const ppm = fs.readFileSync(new URL('64x48_spp4.ppm', DATA));
    const damaged = Buffer.from(png);
    damaged[png.length >> 1] ^= 0x20;

    fixture('cut.png', png.subarray(0, png.length >> 1));
    fixture('cut.ppm', ppm.subarray(0, ppm.length >> 1));
    fixture('damaged.png', damaged);
    fixture('text.png', Buffer.from('<html>not an image</html>\n'));

    for (const [name, message, painted] of [
            ['cut.png', /^The image is incomplete: the response ended after 11\.\d kB \(the PNG is cut short\)\./, true],
            ['cut.ppm', /^The image is incomplete: the response ended after 11\.4 kB \(the PPM is cut short\)\./, true],
            ['damaged.png', /^The image cannot be read: a damaged PNG \(IDAT CRC\)\.$/, true],
            ['text.png', /^The image cannot be read: not a P3 PPM\.$/, false]]) {
        const { page, log } = await open(t, '/fixture/view?format=' + name);
        const s = await settled(page);
        assert.equal(s.state, 'error', name);
        assert.match(s.text, message, name);
        assert.equal(await page.$eval('#download',
                                      a => a.getClientRects().length), 0, name);
        // what arrived is shown: the top of the picture
        const l = await look(page);
        if (painted) {
            assert.ok(l.rows > 0 && l.rows < l.height && l.below,
                      `${name}: ${l.rows} rows painted`);
        } else {
            assert.equal(l.rows, 0);
        }
        assert.deepEqual(log.errors, [], name);
    }
});


test('a response broken off mid-stream: incomplete, the rows so far shown',
     async t => {
    // nginx is sending the module's PNG slowly when the file shrinks
    // under it: it closes the connection short of its Content-Length, as
    // a streaming render that fails after its headers does
    const file = path.join(PREFIX, 'slow/image.broken.png');
    const png = await bytes('/?spp=8&w=160&h=120&format=png');
    fs.writeFileSync(file, png);

    const { page, log } = await open(t, '/slow/view?format=broken.png');
    await page.waitForFunction(() => / [1-9]\d* of 120 rows$/.test(
        document.getElementById('status').textContent),
        { timeout: 10000, polling: 20 });
    fs.truncateSync(file, 1000);

    const s = await settled(page);
    assert.equal(s.state, 'error');
    assert.match(s.text, /^The image is incomplete: the response ended after \d+\.\d kB \(.+\)\. The server stopped the render, or the connection broke\.$/);
    assert.equal(await page.$eval('#download',
                                  a => a.getClientRects().length), 0);
    const l = await look(page);
    assert.ok(l.rows > 0 && l.rows < l.height && l.below,
              `${l.rows} rows painted`);
    assert.equal(samePixels(Buffer.from(l.rgba, 'base64'),
                            reference('160x120_spp8.ppm'), l.rows), null);
    // Chromium's own word for it
    assert.deepEqual(log.errors, [
        'Failed to load resource: net::ERR_CONTENT_LENGTH_MISMATCH']);
});
