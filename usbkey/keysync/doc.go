// Package keysync owns keeping the standby copies of the headnode's key
// content on core CNs in step with the headnode's /usbkey: it compares the
// source's manifest with the manifest the last sync left on each target,
// sends only what differs over SFTP, verifies every file on the target
// before it takes its real name, and writes the target's manifest last,
// only when it changed and as the lines that changed when it can. This
// host keeps a copy of the manifest it left on each target beside the hash
// cache, used only when the target's hashes the same on the target.
// To a target with cn_tools, one command there (`usbkey-sync state
// --hold`, Hold) holds the target's lock and tells its state for the
// whole sync, files stream into its receiver (Receive), and SFTP is
// opened only for what they cannot do (hold.go, listing.go, receive.go).
//
// A Request holds the tool's options as typed values and prints the
// command line that carries it out; Prepare resolves it on a node (the
// targets from Targets, Discover or the targets file, the hook's paths,
// the hash cache under node.CacheDir) and the Job it returns runs.
//
// A target is a directory on a core CN reached over SSH (internal/sshconn:
// host keys checked, no trust on first use), named as keytree.ParseLocation
// reads every location: [user@]host[:port][:/path] or
// ssh://[user@]host[:port]/path, by default node.StandbyDir. Several targets are synced at
// once and several files per target, each bounded. Each file is written
// under a temporary name beside its real one that contains the real name
// (.NAME.tmp-RANDOM, atomicfile.TempName), chmod-ed while still empty, filled with
// concurrent SFTP writes, hashed on the target (openssl dgst, sha256sum or
// illumos digest, or read back over SFTP when the target has none) and only
// then renamed into place with posix-rename@openssh.com. A cut connection
// leaves at most a temporary file, which the next run removes.
//
// A file that changed on the target since the last sync (it no longer
// matches the manifest the last sync wrote there) is a conflict: it is
// reported and left alone, unless Force, which first keeps the target's
// version as NAME.conflict-<UTC timestamp>. This is the split brain of the
// usbkey config that RFD 67 worries about.
//
// It refuses: a target named as a local path (a bare word such as cn1 is
// one, as for every tool: write root@cn1, cn1:/path or ssh://cn1), a source
// on another node, a target path of /usbkey or /mnt/usbkey (on a CN,
// /lib/sdc/config.sh prefers /usbkey/config over the CN's own node.config,
// so the CN would take the headnode's configuration; see keycopy.ErrKeyPath) or
// in a system directory (/opt/smartdc, /var, /lib, /etc, /usr and the
// like), a target root that is a symlink or that leads through one to a
// refused path (keycopy.CheckRoot resolves it on the target);
// deleting `config` from a target, even with Delete; Delete of anything
// the last sync's manifest does not list as it still is, on a target with
// no such manifest, or from a source without config (an unmounted key);
// writing under a target's symlink or file that stands where the source
// has a directory (without Force, which moves it aside); overwriting a
// conflict without Force; and a file that reads back differently from the
// source's manifest (the source changed under the sync, or the target
// stores something else), which fails that file and keeps the old one.
//
// Logins use sshconn's defaults, which start with the identity and
// known_hosts under /opt/smartdc/etc/cn-tools (resolved under the node's
// root), because a global zone's /root is the ramdisk. SetupRequest.Setup
// creates that identity once (EnsureKey: ed25519, 0600, never replaced) and
// gives for each target the sdc-oneachnode command that installs its
// public key on the CN (InstallKeyScript: into
// /opt/smartdc/config/root.authorized_keys, which smartdc-config copies to
// /root/.ssh/authorized_keys at every boot, and into the latter for now);
// it runs those commands only when asked, and records a host key only when
// asked (AcceptHostKey), never over another key for the host.
//
// The sdcadm hook (SdcadmPaths) packs the headnode's deployed
// /opt/smartdc/sdcadm into extra/sdcadm/ of the source (gztools.PackSdcadm)
// and syncs that directory, so a standby copy carries the sdcadm the
// headnode runs rather than the install-time sdcadm-install.sh.
//
// Discover finds the targets as an operator would: SAPI for the servers
// hosting binder, manatee and moray instances, CNAPI for their admin IPs.
package keysync
