// Stand-in for sdcadm's lib/common.js (which needs sdc-clients, bunyan and
// friends): what the install path calls. Commands that would touch the
// USB key or the disk answer as on a headnode with room to spare.
'use strict';

function execFilePlus(opts, cb) {
    const argv = opts.argv;
    if (argv[0] === '/usr/bin/gzip') {
        setImmediate(cb, null,
            '  104857600  314572800  66.7% ' + argv[argv.length - 1] + '\n',
            '');
    } else if (argv[0] === '/usr/bin/df') {
        setImmediate(cb, null,
            'Filesystem kbytes used avail capacity Mounted on\n' +
            '/dev/dsk/c1t0d0p1 8000000 2000000 6000000 25% /mnt/usbkey\n',
            '');
    } else {
        setImmediate(cb, new Error('unexpected command: ' + argv.join(' ')));
    }
}

module.exports = {
    execFilePlus,
    mountUsbKey: (_log, cb) => setImmediate(cb),
    unmountUsbKey: (_log, cb) => setImmediate(cb),
    isUsbKeyMounted: (_log, cb) => setImmediate(cb, null, true),
    indent: (s) => '    ' + s,
    sortArrayOfObjects: function (arr, fields) {
        arr.sort(function (a, b) {
            for (const f of fields) {
                if (a[f] < b[f]) {
                    return -1;
                }
                if (a[f] > b[f]) {
                    return 1;
                }
            }
            return 0;
        });
    }
};
