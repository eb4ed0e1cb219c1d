package chatops

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Verb is what a slash command asks for.
type Verb string

// Verbs of /muster.
const (
	VerbHelp    Verb = "help"
	VerbList    Verb = "list"
	VerbShow    Verb = "show"
	VerbAssign  Verb = "assign"
	VerbResolve Verb = "resolve"
	VerbDismiss Verb = "dismiss"
	VerbRespond Verb = "respond"
)

// Request is a parsed slash command.
type Request struct {
	Verb     Verb
	ID       string            // incident id
	Filters  url.Values        // list: severity, status, resource, owner, provider, tactic
	Owner    string            // assign: "me", a Slack user id (<@U…>) or a name
	Class    string            // resolve: classification as typed
	Text     string            // resolve: comment; dismiss: reason
	Playbook string            // respond
	Params   map[string]string // respond: k=v
}

// listFilters are the filters /muster list passes to GET /incidents.
var listFilters = []string{"severity", "status", "resource", "owner", "provider", "tactic"}

// Help is the answer to /muster help and to a command that does not parse.
const Help = "*/muster* commands:\n" +
	"• `list [severity=High] [status=Active] [resource=i-…]` incidents, newest activity first (only you see it)\n" +
	"• `show <id>` an incident's card\n" +
	"• `assign <id> me|@user`\n" +
	"• `resolve <id> <TruePositive|BenignPositive|FalsePositive|Undetermined> [comment]`\n" +
	"• `dismiss <id> <reason>`\n" +
	"• `respond <id> <playbook> [key=value …]` run a playbook\n" +
	"• `help` this text"

// ErrUsage is a command that does not parse; its text says why.
type ErrUsage struct{ Reason string }

func (e ErrUsage) Error() string { return e.Reason }

func usage(format string, args ...any) error { return ErrUsage{fmt.Sprintf(format, args...)} }

// ParseRequest reads the text after /muster.
func ParseRequest(text string) (Request, error) {
	f := strings.Fields(text)
	if len(f) == 0 {
		return Request{Verb: VerbHelp}, nil
	}
	r := Request{Verb: Verb(strings.ToLower(f[0]))}
	args := f[1:]
	switch r.Verb {
	case VerbHelp:
		return r, nil
	case VerbList:
		return r, r.parseFilters(args)
	}
	if len(args) == 0 {
		return r, usage("`%s` needs an incident id", r.Verb)
	}
	r.ID, args = args[0], args[1:]
	return r, r.parseArgs(args)
}

func (r *Request) parseFilters(args []string) error {
	r.Filters = url.Values{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || !slices.Contains(listFilters, k) || v == "" {
			return usage("`list` takes %s as key=value, not `%s`", strings.Join(listFilters, ", "), a)
		}
		r.Filters.Set(k, v)
	}
	return nil
}

func (r *Request) parseArgs(args []string) error {
	switch r.Verb {
	case VerbShow:
		if len(args) > 0 {
			return usage("`show` takes only an incident id")
		}
	case VerbAssign:
		if len(args) != 1 {
			return usage("`assign <id> me|@user`")
		}
		r.Owner = args[0]
	case VerbResolve:
		if len(args) == 0 {
			return usage("`resolve <id> <classification> [comment]`")
		}
		r.Class, r.Text = args[0], strings.Join(args[1:], " ")
	case VerbDismiss:
		if len(args) == 0 {
			return usage("`dismiss <id> <reason>`: say why")
		}
		r.Text = strings.Join(args, " ")
	case VerbRespond:
		return r.parseRespond(args)
	default:
		return usage("unknown command `%s`", r.Verb)
	}
	return nil
}

func (r *Request) parseRespond(args []string) error {
	if len(args) == 0 {
		return usage("`respond <id> <playbook> [key=value …]`")
	}
	r.Playbook, r.Params = args[0], map[string]string{}
	for _, a := range args[1:] {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return usage("playbook parameters are key=value, not `%s`", a)
		}
		r.Params[k] = v
	}
	return nil
}

// mention is Slack's escaped user mention: <@U123> or <@U123|name>.
var mention = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$`)

// ownerName turns assign's argument into an owner name: "me" is the
// caller, a mention of a mapped Slack user is that user's Muster name,
// "@name" or a mention of an unmapped user is the name Slack shows.
func ownerName(arg string, caller string, users Users) string {
	if strings.EqualFold(arg, "me") {
		return caller
	}
	if m := mention.FindStringSubmatch(arg); m != nil {
		if u, ok := users[m[1]]; ok {
			return u.Name
		}
		if _, name, ok := strings.Cut(strings.TrimSuffix(arg, ">"), "|"); ok && name != "" {
			return name
		}
		return m[1]
	}
	return strings.TrimPrefix(arg, "@")
}
