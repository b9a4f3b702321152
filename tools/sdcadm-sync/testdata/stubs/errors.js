// Stand-in for sdcadm's lib/errors.js (which needs verror and friends):
// the error classes lib/platform.js constructs.
'use strict';
function make(name) {
    return class extends Error {
        constructor(cause, what) {
            super(cause && cause.message ? cause.message +
                (typeof (what) === 'string' ? ' (' + what + ')' : '') :
                String(cause));
            this.name = name;
        }
    };
}
module.exports = {
    SDCClientError: make('SDCClientError'),
    UpdateError: make('UpdateError'),
    UsageError: make('UsageError'),
    InternalError: make('InternalError')
};
