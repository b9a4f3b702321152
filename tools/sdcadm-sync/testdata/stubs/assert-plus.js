// Minimal stand-in for assert-plus, for the patch test only: the checks
// lib/platform.js makes, as real checks.
'use strict';
const assert = require('assert');

function check(name, ok) {
    return function (v, what) {
        assert.ok(ok(v), (what || 'argument') + ' (' + name + ') is required');
    };
}
const types = {
    object: (v) => v !== null && typeof (v) === 'object',
    string: (v) => typeof (v) === 'string',
    bool: (v) => typeof (v) === 'boolean',
    func: (v) => typeof (v) === 'function',
    number: (v) => typeof (v) === 'number',
    arrayOfString: (v) => Array.isArray(v) &&
        v.every((x) => typeof (x) === 'string')
};
const out = {};
Object.keys(types).forEach(function (t) {
    const T = t[0].toUpperCase() + t.slice(1);
    out[t] = check(t, types[t]);
    out['optional' + T] = check(t, (v) => v === undefined || v === null ||
        types[t](v));
});
module.exports = out;
