// Stand-in for cmdln: lib/platform.js only subclasses Cmdln at load time.
'use strict';
function Cmdln() {}
Cmdln.prototype.init = function () {};
module.exports = {Cmdln};
