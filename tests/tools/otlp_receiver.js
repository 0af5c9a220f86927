// An OTLP/HTTP receiver for otlp_live_test.py: Elastic's mockotlpserver (its
// HTTP service only) on 127.0.0.1 and a free port. Prints the URL it listens
// at, then, when stdin closes, what it received as parsed by mockotlpserver:
// requests, log records, spans and how many distinct bodies and names.
'use strict';
const {MockOtlpServer} = require('@elastic/mockotlpserver');

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
        process.stdout.write(JSON.stringify(got) + '\n');
        await server.close();
        process.exit(0);
    });
});
