package cmd

import (
	"fmt"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
)

// BashCompletion is a bash completion script for every tool, as sdcadm
// ships one (sdcadm etc/sdcadm.completion): options, commands and their
// subcommands by name, and files for operands. `make cn-tools` puts it in
// share/cn-tools/cn-tools.completion; `source` it, or link it into
// /etc/bash/bash_completion.d/.
func BashCompletion() string {
	var b strings.Builder
	b.WriteString(`# bash completion for the cn-tools tools, written by "cn-tools completion bash".
_cn_tools() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local words=""
	case "${COMP_WORDS[0]##*/}:$prev" in
`)
	for _, n := range Names() {
		app := App(n)
		for _, c := range app.Commands {
			if sub := names(c.Subcommands); sub != "" {
				fmt.Fprintf(&b, "\t%s:%s) words=%q ;;\n", n, c.Name, sub)
			}
		}
		fmt.Fprintf(&b, "\t%s:*) words=%q ;;\n", n, strings.TrimSpace(flagWords(app.Flags)+" "+names(app.Commands)))
	}
	b.WriteString(`	esac
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
	if [[ $cur != -* ]]; then
		COMPREPLY+=($(compgen -f -- "$cur"))
	fi
}
`)
	fmt.Fprintf(&b, "complete -o filenames -F _cn_tools %s\n", strings.Join(Names(), " "))
	return b.String()
}

func names(cs []*cli.Command) string {
	var out []string
	for _, c := range cs {
		if !c.Hidden {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func flagWords(fs []cli.Flag) string {
	var out []string
	for _, f := range visibleFlags(fs) {
		for _, n := range f.Names() {
			if len(n) == 1 {
				out = append(out, "-"+n)
			} else {
				out = append(out, "--"+n)
			}
		}
	}
	return strings.Join(out, " ")
}
