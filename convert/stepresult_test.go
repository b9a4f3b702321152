package convert

import (
	"encoding/json"
	"testing"
)

func TestStepResultJSON(t *testing.T) {
	for _, tt := range []struct {
		in   StepResult
		want string
	}{
		{StepResult{Type: "step", Name: "format-key", Status: "done", Seconds: 1.5}, `{"type":"step","name":"format-key","status":"done","seconds":1.5}`},
		// A step that failed at once still says how long it took.
		{StepResult{Type: "step", Name: "finish-service", Status: "failed", Error: "mkdir x: not a directory"}, `{"type":"step","name":"finish-service","status":"failed","error":"mkdir x: not a directory","seconds":0}`},
		{StepResult{Type: "step", Name: "usbkey-copy", Status: "skipped"}, `{"type":"step","name":"usbkey-copy","status":"skipped"}`},
	} {
		got, err := json.Marshal(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("json.Marshal(%+v) = %s, %v, want %s", tt.in, got, err, tt.want)
		}
	}
}
