// Runs the PATCHED sdcadm lib/platform.js Platform.prototype.install for one
// scenario, with what talks to the network (the updates server, CNAPI,
// SAPI) and to the headnode's disks (lib/common.js, install-platform.sh)
// stubbed, and prints {"err": ..., "progress": [...]} as JSON.
//
//   node driver.js SDCADM_ROOT SCENARIO [IMAGE]
//
// SCENARIO: latest (a newer image is published), installed (the latest is
// installed already), abort (the headnode boots "latest"), image (IMAGE is
// a file). The usbkey-sync the patch runs is $SDCADM_USBKEY_SYNC (the
// test's recording stub); the patch's lib/usbkey-sync.js runs for real.
'use strict';

const cp = require('child_process');
const EventEmitter = require('events');
const Module = require('module');
const path = require('path');

const root = path.resolve(process.argv[2]);
const scenario = process.argv[3];
const imageArg = process.argv[4];
const stubs = path.join(__dirname, 'stubs');
const libdir = path.join(root, 'lib');

// npm dependencies and sdcadm's own modules that need them: stand-ins.
const npmStubs = new Set(['vasync', 'assert-plus', 'tabula', 'cmdln']);
const libStubs = new Set(['./common', './errors']);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
    if (npmStubs.has(request)) {
        return path.join(stubs, request + '.js');
    }
    if (libStubs.has(request) && parent && parent.filename &&
        path.dirname(parent.filename) === libdir) {
        return path.join(stubs, request.slice(2) + '.js');
    }
    return resolve.call(this, request, parent, ...rest);
};

// install-platform.sh: succeeds, and says what it was given.
const installed = [];
const spawn = cp.spawn;
cp.spawn = function (cmd, args, opts) {
    if (cmd !== '/usbkey/scripts/install-platform.sh') {
        return spawn(cmd, args, opts);
    }
    installed.push(args[0]);
    const child = new EventEmitter();
    setImmediate(() => child.emit('exit', 0));
    return child;
};

const NEW = 'release-20260301-20260301T000000Z';
const OLD = '20250101T000000Z';
const latestInstalled = scenario === 'installed' ? '20260301T000000Z' : OLD;

const log = {};
['trace', 'debug', 'info', 'warn', 'error'].forEach((l) => {
    log[l] = function () {};
});

const sdcadm = {
    log,
    ensureSdcApp: (_opts, cb) => setImmediate(cb),
    getDefaultChannel: (cb) => setImmediate(cb, null, 'release'),
    getImgsForSvcVms: (_opts, cb) => setImmediate(cb, null,
        {imgs: [{version: 'release-20260101-20260101T000000Z'}]}),
    updates: {
        channel: undefined,
        listImages: (_filter, cb) => setImmediate(cb, null, [
            {uuid: '11111111-1111-1111-1111-111111111111',
                version: 'release-20250101-20250101T000000Z',
                published_at: '2025-01-01T00:00:00Z'},
            {uuid: '22222222-2222-2222-2222-222222222222', version: NEW,
                published_at: '2026-03-01T00:00:00Z'}
        ]),
        getImage: (_uuid, cb) => setImmediate(cb, new Error('no getImage')),
        getImageFile: (_uuid, _file, cb) => setImmediate(cb)
    },
    cnapi: {
        listServers: (_f, cb) => setImmediate(cb, null,
            [{uuid: 'hn-uuid', headnode: true}]),
        getBootParams: (uuid, cb) => setImmediate(cb, null, {
            platform: scenario === 'abort' && uuid !== 'default' ?
                'latest' : OLD
        }),
        setBootParams: (_uuid, _params, cb) => setImmediate(cb),
        listPlatforms: (_f, cb) => setImmediate(cb, null, {
            [latestInstalled]: {latest: true, os: 'smartos'}
        })
    }
};

const progress = [];
const top = {
    sdcadm,
    log,
    progress: function () {
        progress.push(require('util').format.apply(null, arguments));
    }
};

const Platform = require(path.join(libdir, 'platform.js')).Platform;
const platform = new Platform(top);

let calls = 0;
const timer = setTimeout(() => {
    console.log(JSON.stringify({err: 'install never called back', progress}));
    process.exit(3);
}, 20000);
platform.install({
    image: scenario === 'image' ? imageArg : 'latest'
}, function (err) {
    calls++;
    setImmediate(() => {
        clearTimeout(timer);
        console.log(JSON.stringify({
            err: err ? String(err.message || err) : null,
            callbacks: calls,
            installed,
            progress
        }));
    });
});
