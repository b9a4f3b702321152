// Minimal stand-in for vasync (the parts lib/platform.js uses), for the
// patch test only: pipeline, forEachParallel and queue.
'use strict';

function pipeline(opts, cb) {
    const funcs = opts.funcs;
    const arg = opts.arg;
    let i = 0;
    function next(err) {
        if (err || i >= funcs.length) {
            cb(err || null);
            return;
        }
        const f = funcs[i++];
        f(arg, next);
    }
    next();
}

function forEachParallel(opts, cb) {
    let left = opts.inputs.length;
    let firstErr = null;
    if (left === 0) {
        cb(null, {});
        return;
    }
    opts.inputs.forEach(function (input) {
        opts.func(input, function (err) {
            if (err && !firstErr) {
                firstErr = err;
            }
            if (--left === 0) {
                cb(firstErr, {});
            }
        });
    });
}

function queue(worker, _concurrency) {
    const EventEmitter = require('events');
    const q = new EventEmitter();
    let items = [];
    let closed = false;
    let running = false;
    function run() {
        if (running) {
            return;
        }
        running = true;
        (function one() {
            if (!items.length) {
                running = false;
                if (closed) {
                    q.emit('end');
                }
                return;
            }
            worker(items.shift(), function () {
                one();
            });
        })();
    }
    q.push = function (x) {
        items = items.concat(x);
        setImmediate(run);
    };
    q.close = function () {
        closed = true;
        setImmediate(run);
    };
    return q;
}

module.exports = {pipeline, forEachParallel, queue};
