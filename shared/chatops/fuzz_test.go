package chatops

import "testing"

// FuzzParseRequest: any command text parses or is refused with a usage
// error, never a panic; a parsed incident command names an id.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{"", "list severity=High", "resolve inc-1 tp done", "respond inc-1 x a=b c=", "assign inc-1 <@U1|a>", "=", "list ="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r, err := ParseRequest(text)
		if err != nil {
			if _, ok := err.(ErrUsage); !ok {
				t.Fatalf("error %T is not a usage error", err)
			}
			return
		}
		if r.Verb != VerbHelp && r.Verb != VerbList && r.ID == "" {
			t.Fatalf("%q parsed as %s without an id", text, r.Verb)
		}
	})
}
