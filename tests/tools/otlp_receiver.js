// An OTLP/HTTP receiver for otlp_live_test.py: Elastic's mockotlpserver (its
// HTTP service only) on 127.0.0.1 and a free port. Prints the URL it listens
// at, then, when stdin closes, what it received as parsed by mockotlpserver:
// requests, log records, spans and how many distinct bodies and names.
//
// Usage: node otlp_receiver.js [BODIES_DIR]
// With BODIES_DIR, each request body to /v1/logs or /v1/traces is also saved
// as it arrived, byte for byte, in BODIES_DIR/<n>-logs.json or
// <n>-traces.json (n counts from 1), for checks mockotlpserver does not make.
'use strict';
const diagnosticsChannel = require('node:diagnostics_channel');
const fs = require('node:fs');
const path = require('node:path');
const {MockOtlpServer} = require('@elastic/mockotlpserver');

const bodiesDir = process.argv[2];
let saved = 0;
const pendingSaves = [];
if (bodiesDir) {
    // Node announces each request before mockotlpserver's handler runs; a
    // second 'data' listener sees the same chunks as the server's own.
    diagnosticsChannel.subscribe('http.server.request.start', ({request}) => {
        const signal = {'/v1/logs': 'logs', '/v1/traces': 'traces'}[request.url];
        if (!signal) return;
        const chunks = [];
        request.on('data', (chunk) => chunks.push(chunk));
        pendingSaves.push(new Promise((resolve) => request.on('end', () => {
            const file = path.join(bodiesDir, `${++saved}-${signal}.json`);
            fs.writeFileSync(file, Buffer.concat(chunks));
            resolve();
        })));
    });
}

const got = {logRequests: 0, traceRequests: 0, logRecords: 0, spans: 0, contentTypes: {}};
const bodies = new Set();
const names = new Set();

function each(list, f) {
    for (const x of list || []) f(x);
}

const server = new MockOtlpServer({
    logLevel: 'warn',
    services: ['http'],
    httpHostname: '127.0.0.1',
    httpPort: 0,
    onLogs(request) {
        got.logRequests++;
        each(request.resourceLogs, (r) => each(r.scopeLogs, (s) => each(s.logRecords, (l) => {
            got.logRecords++;
            if (l.body && l.body.stringValue !== undefined) bodies.add(l.body.stringValue);
        })));
    },
    onTrace(request) {
        got.traceRequests++;
        each(request.resourceSpans, (r) => each(r.scopeSpans, (s) => each(s.spans, (sp) => {
            got.spans++;
            names.add(sp.name);
        })));
    },
    onRequest(request) {
        const type = (request.headers || {})['content-type'] || '';
        got.contentTypes[type] = (got.contentTypes[type] || 0) + 1;
    },
});

server.start().then(() => {
    process.stdout.write(String(server.httpUrl).replace(/\/$/, '') + '\n');
    process.stdin.resume();
    process.stdin.on('end', async () => {
        got.distinctBodies = bodies.size;
        got.distinctSpanNames = names.size;
        await Promise.all(pendingSaves);
        got.bodiesSaved = saved;
        process.stdout.write(JSON.stringify(got) + '\n');
        await server.close();
        process.exit(0);
    });
});
