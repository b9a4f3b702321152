package convert

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"cntools/internal/atomicfile"
	"cntools/internal/node"
)

// The one-shot SMF service that runs finish on the new headnode, so no
// operator has to remember it. On a Triton node /var/svc/manifest/site is
// /opt/smartdc/agents/smf, lofs-mounted by fs-joyent (illumos-joyent
// usr/src/cmd/svc/milestone/fs-joyent 179-182), so the manifest persists
// on zones/opt, and manifest-import takes /var/svc/manifest at every boot
// (manifest-import 458-464). It runs after svc:/system/smartdc/init, the
// service that runs headnode.sh (sdc-headnode README "Debugging setup
// failures"), and does nothing until the node has booted as headnode with
// zones/usbkey mounted. finish removes it once it has run.
const (
	FinishService  = "svc:/site/cn-tools-finish:default"
	FinishManifest = "/var/svc/manifest/site/cn-tools-finish.xml"
)

// finishManifest is the service's SMF manifest.
const finishManifest = `<?xml version="1.0"?>
<!DOCTYPE service_bundle SYSTEM "/usr/share/lib/xml/dtd/service_bundle.dtd.1">
<!--
    Written by convert-to-headnode: runs "convert-to-headnode finish" once
    this node has come up as the headnode, then removes itself.
-->
<service_bundle type="manifest" name="cn-tools-finish">
  <service name="site/cn-tools-finish" type="service" version="1">
    <create_default_instance enabled="true"/>
    <single_instance/>
    <dependency name="smartdc-init" grouping="require_all" restart_on="none" type="service">
      <service_fmri value="svc:/system/smartdc/init"/>
    </dependency>
    <exec_method type="method" name="start" exec="/opt/smartdc/bin/convert-to-headnode -y finish --service" timeout_seconds="0"/>
    <exec_method type="method" name="stop" exec=":true" timeout_seconds="60"/>
    <property_group name="startd" type="framework">
      <propval name="duration" type="astring" value="transient"/>
    </property_group>
    <stability value="Unstable"/>
    <template>
      <common_name>
        <loctext xml:lang="C">cn-tools: finish converting this node into the headnode</loctext>
      </common_name>
    </template>
  </service>
</service_bundle>
`

// InstallFinishService writes the finish service's manifest on n, for
// manifest-import to take at the next boot.
func InstallFinishService(n *node.Node) error {
	p := n.Path(FinishManifest)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(p, []byte(finishManifest), 0o444)
}

// serviceStep installs the finish service.
func serviceStep(o *Options) Step {
	p := o.Node.Path(FinishManifest)
	return Step{
		Name: "finish-service", What: "install the one-shot SMF service " + FinishService + " that runs finish after the reboots (inert on a CN)",
		Command: o.Node.ToolLine("convert-to-headnode", "finish", "--install-service"),
		run:     func(ctx context.Context) error { return InstallFinishService(o.Node) },
		done: func(ctx context.Context) bool {
			b, err := os.ReadFile(p)
			return err == nil && string(b) == finishManifest
		},
	}
}

// removeServiceStep takes the service away once finish has done its work.
func removeServiceStep(o *Options) Step {
	p := o.Node.Path(FinishManifest)
	return Step{
		Name: "remove-service", What: "remove the one-shot service " + FinishService + ", if the conversion installed it",
		// svccfg first, the manifest last: killed between the two, the
		// rerun finds the manifest and deletes the service again (svccfg
		// then says it matches nothing, which is done too); the other way
		// round, a rerun would find nothing to do and leave the service.
		run: func(ctx context.Context) error {
			if !exists(p) {
				return nil
			}
			if out, err := o.Node.Cmd.Run(ctx, "/usr/sbin/svccfg", "delete", "-f", FinishService); err != nil && !strings.Contains(err.Error()+string(out), "doesn't match") {
				return err
			}
			err := os.Remove(p)
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		},
		done: func(ctx context.Context) bool { return !exists(p) },
	}
}
