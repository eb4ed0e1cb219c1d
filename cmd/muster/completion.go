package main

import (
	"context"
	"fmt"
)

// Completion scripts: commands, the verbs of incident and rules, and the
// flags every command takes. Incident ids are not completed (that would
// call the API on every tab).
const bashCompletion = `# bash completion for muster; load with: source <(muster completion bash)
_muster() {
  local cur prev words
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  case "${COMP_WORDS[1]}" in
    incident) [ "$COMP_CWORD" -eq 2 ] && words="show assign resolve dismiss comment" ;;
    rules) [ "$COMP_CWORD" -eq 2 ] && words="list show delete" ;;
    completion) words="bash zsh" ;;
    post) [ "$COMP_CWORD" -eq 3 ] && { COMPREPLY=($(compgen -f -- "$cur")); return; } ;;
  esac
  case "$prev" in
    --severity) words="Informational Low Medium High Critical" ;;
    --status) words="Active InProgress Resolved Dismissed" ;;
  esac
  if [ "$COMP_CWORD" -eq 1 ]; then
    words="incidents incident alerts post rules completion help"
  elif [ -z "$words" ]; then
    words="--json --url --token --all --severity --status --resource --tag --owner --provider --comment --reason"
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _muster muster
`

const zshCompletion = `#compdef muster
# zsh completion for muster; load with: source <(muster completion zsh)
_muster() {
  local -a cmds
  cmds=(incidents incident alerts post rules completion help)
  if (( CURRENT == 2 )); then
    _describe 'command' cmds
    return
  fi
  case "$words[2]" in
    incident) (( CURRENT == 3 )) && { _values 'action' show assign resolve dismiss comment; return } ;;
    rules) (( CURRENT == 3 )) && { _values 'action' list show delete; return } ;;
    completion) _values 'shell' bash zsh; return ;;
    post) (( CURRENT == 4 )) && { _files; return } ;;
  esac
  case "$words[CURRENT-1]" in
    --severity) _values 'severity' Informational Low Medium High Critical; return ;;
    --status) _values 'status' Active InProgress Resolved Dismissed; return ;;
  esac
  _values 'flag' --json --url --token --all --severity --status --resource --tag --owner --provider --comment --reason
}
compdef _muster muster
`

func completion(_ context.Context, a *app, args []string) error {
	fs := a.flags("completion")
	pos, err := a.parse(fs, args, 1)
	if err != nil {
		return err
	}
	switch pos[0] {
	case "bash":
		_, err = fmt.Fprint(a.stdout, bashCompletion)
	case "zsh":
		_, err = fmt.Fprint(a.stdout, zshCompletion)
	default:
		return usagef("completion: want bash or zsh, not %q", pos[0])
	}
	return err
}
