package graph_test

import "testing"

// The WeCom operations of contract part 2 that are served (#22); the callbacks
// and customers are tested end to end in internal/wecom.
func init() {
	contractRuns["LinkWeComUser"] = contractRun{
		vars: func(s *scenario) map[string]any {
			return map[string]any{"id": s.ids["rep"], "wecomUserID": "zhangsan"}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "updateUser", "id") != s.ids["rep"] || dig(d, "updateUser", "wecomUserID") != "zhangsan" {
				t.Errorf("updateUser = %v", d)
			}
		},
	}
	contractRuns["LeadWeCom"] = contractRun{
		vars: func(s *scenario) map[string]any { return map[string]any{"id": s.leads[0]} },
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "node", "id") != s.leads[0] {
				t.Errorf("node = %v", d)
			}
			if w, ok := dig(d, "node", "wecomContacts").([]any); !ok || len(w) != 0 {
				t.Errorf("wecomContacts of a lead no member has = %v", dig(d, "node", "wecomContacts"))
			}
		},
	}
}
