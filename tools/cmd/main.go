package cmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"cntools/internal/tool"
)

// OSMain runs the tool called name in this process and exits with its
// status. A first Ctrl-C or SIGTERM cancels the context, so a tool stops
// between writes rather than in the middle of one, and says what it was
// doing; a second one exits at once (tool.WatchSignals).
func OSMain(name string) {
	st := new(tool.State)
	ctx, stop := tool.WatchSignals(context.Background(), name, os.Stderr, st, os.Exit)
	s := tool.OSStreams()
	s.State = st
	code := Main(ctx, name, os.Args, s)
	stop()
	os.Exit(code)
}

// MultiMain is the multi-call binary: it runs the tool named by the link it
// was called through (as busybox does), or by its first argument when
// called as itself.
func MultiMain() {
	name := filepath.Base(os.Args[0])
	if App(name) != nil {
		OSMain(name)
	}
	if len(os.Args) > 1 && App(os.Args[1]) != nil {
		os.Args = os.Args[1:]
		OSMain(os.Args[0])
	}
	if len(os.Args) == 3 && os.Args[1] == "completion" && os.Args[2] == "bash" {
		fmt.Print(BashCompletion())
		os.Exit(tool.ExitOK)
	}
	if len(os.Args) == 3 && os.Args[1] == "man" {
		if err := WriteManPages(os.Args[2]); err != nil {
			fmt.Fprintf(os.Stderr, "cn-tools: error: %v\n", err)
			os.Exit(tool.ExitError)
		}
		os.Exit(tool.ExitOK)
	}
	fmt.Fprintf(os.Stderr, "usage: cn-tools TOOL [ARGS...] (or call it through a link named for the tool)\n       cn-tools man DIR\n       cn-tools completion bash\ntools:\n")
	for _, n := range Names() {
		fmt.Fprintf(os.Stderr, "    %s\n", n)
	}
	os.Exit(tool.ExitError)
}
