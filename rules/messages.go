package rules

import (
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// envNames maps the Go types of the environment to what users write.
var envNames = map[string]string{
	"rules.Env": "the environment", "rules.MilestoneEnv": "milestone", "rules.ForecastEnv": "forecast",
	"rules.SignalsEnv": "signals", "rules.ClientEnv": "client",
}

var envFields = map[string][]string{}

func init() {
	for goName, t := range map[string]reflect.Type{
		"rules.Env": reflect.TypeOf(Env{}), "rules.MilestoneEnv": reflect.TypeOf(MilestoneEnv{}),
		"rules.ForecastEnv": reflect.TypeOf(ForecastEnv{}), "rules.SignalsEnv": reflect.TypeOf(SignalsEnv{}),
		"rules.ClientEnv": reflect.TypeOf(ClientEnv{}),
	} {
		var names []string
		for i := 0; i < t.NumField(); i++ {
			names = append(names, t.Field(i).Tag.Get("expr"))
		}
		sort.Strings(names)
		envFields[goName] = names
	}
	envFields["rules.Env"] = append(envFields["rules.Env"], "days", "hours", "weekday", "ymd", "percent", "has_label")
}

var (
	noFieldRe     = regexp.MustCompile(`^type (rules\.\w+) has no field (\w+)$`)
	unknownNameRe = regexp.MustCompile(`^unknown name (\w+)$`)
)

// friendly rewrites expr's messages in the terms of the rules file and
// suggests the nearest name.
func friendly(msg string) string {
	msg = strings.TrimSpace(msg)
	if m := noFieldRe.FindStringSubmatch(msg); m != nil {
		out := envNames[m[1]] + " has no field " + m[2]
		if s := nearest(m[2], envFields[m[1]]); s != "" {
			out += " (did you mean " + s + "?)"
		}
		return out
	}
	if m := unknownNameRe.FindStringSubmatch(msg); m != nil {
		out := "unknown name " + m[1]
		if s := nearest(m[1], envFields["rules.Env"]); s != "" {
			out += " (did you mean " + s + "?)"
		} else {
			out += " (names: milestone, forecast, signals, client, now, now_local, today)"
		}
		return out
	}
	for goName, name := range envNames {
		msg = strings.ReplaceAll(msg, goName, name)
	}
	return msg
}

// nearest returns the candidate closest to s, if it is close enough.
func nearest(s string, candidates []string) string {
	for _, c := range candidates {
		if len(s) >= 3 && strings.HasPrefix(c, s) {
			return c
		}
	}
	best, bestD := "", len(s)/2+2
	for _, c := range candidates {
		if d := levenshtein(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
