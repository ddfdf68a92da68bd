package model

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Every code reads in English (as Forecast.Reason carries it), and a
// forecast's JSON keeps the English reason beside the code: a forecast
// written before codes existed still reads, with no code.
func TestForecastReasonEnglishAndJSON(t *testing.T) {
	seen := map[string]ReasonCode{}
	for _, c := range ReasonCodes {
		s := ForecastReason{Code: c, Since: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Days: 4, Need: 5, HorizonDays: 730}.String()
		if s == "" || s == string(c) {
			t.Errorf("code %q has no English text: %q", c, s)
		}
		if o, dup := seen[s]; dup {
			t.Errorf("codes %q and %q read the same: %q", o, c, s)
		}
		seen[s] = c
	}
	f := Forecast{Status: ForecastInsufficient, Why: ForecastReason{Code: ReasonShortHistory, Since: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Days: 3, Need: 5}}
	f.Reason = f.Why.String()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"reason":"history too short: 3 working days since work started on 2026-03-02 (need 5)"`,
		`"why":{"code":"short_history","since":"2026-03-02T00:00:00Z","days":3,"need":5}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	if b, _ := json.Marshal(Forecast{Status: ForecastOK}); strings.Contains(string(b), `"why"`) || strings.Contains(string(b), `"reason"`) {
		t.Errorf("a forecast with a date carries a reason: %s", b)
	}
	var old Forecast
	if err := json.Unmarshal([]byte(`{"status":"insufficient_data","reason":"no items finished yet"}`), &old); err != nil || old.Reason != "no items finished yet" || old.Why.Code != "" {
		t.Errorf("an old forecast reads as %+v (%v)", old, err)
	}
}
