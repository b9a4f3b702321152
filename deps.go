package deps

import (
	_ "github.com/charmbracelet/log"
	_ "github.com/diskfs/go-diskfs/partition/gpt"
	_ "github.com/pkg/sftp"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/urfave/cli/v2"
	_ "golang.org/x/crypto/ssh"
)
