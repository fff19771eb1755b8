package connector_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/connector"
)

func TestMappingInvalid(t *testing.T) {
	many := make([]string, 150)
	for i := range many {
		many[i] = fmt.Sprint("p", i)
	}
	tests := []struct {
		missing, have []string
		want          string
	}{
		{[]string{"First_Name"}, []string{"id", "firstname"}, `t has no field "First_Name"; did you mean firstname? It has: id, firstname.`},
		{[]string{"fristname", "x"}, []string{"firstname", "id"}, `t has no fields "fristname", "x"; did you mean firstname? It has: firstname, id.`},
		{[]string{"id2"}, []string{"id", "ip"}, `t has no field "id2"; did you mean id? It has: id, ip.`},
		{[]string{"zz"}, []string{"ab"}, `t has no field "zz". It has: ab.`},
		{[]string{"nosuch"}, nil, `t has no field "nosuch".`},
		{[]string{"nosuch"}, many, `t has no field "nosuch". It has: p0, p1, `},
	}
	for _, tt := range tests {
		e := connector.MappingInvalid("t", tt.missing, tt.have)
		if !strings.HasPrefix(e.Message, tt.want) || e.Reason != connector.ReasonMappingInvalid || !e.Definite {
			t.Errorf("MappingInvalid(%v, %v) = %q, want it to start with %q", tt.missing, tt.have, e.Message, tt.want)
		}
	}
	if e := connector.MappingInvalid("t", []string{"nosuch"}, many); !strings.HasSuffix(e.Message, ", p99, … (150 in all).") {
		t.Errorf("a long list is cut: %q", e.Message)
	}
}
