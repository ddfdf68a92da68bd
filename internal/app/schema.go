package app

import (
	"reflect"

	"github.com/forewarn/forewarn/connectors/file"
	"github.com/forewarn/forewarn/connectors/github"
	"github.com/forewarn/forewarn/connectors/jira"
	"github.com/forewarn/forewarn/internal/config"
	"github.com/forewarn/forewarn/internal/forecast"
	"github.com/forewarn/forewarn/internal/notice"
	"github.com/forewarn/forewarn/internal/report"
	"github.com/forewarn/forewarn/internal/schema"
	"github.com/forewarn/forewarn/internal/store"
)

// The configuration's schema lives here because only the app knows which
// package decodes each section it keeps as a YAML node.
func init() {
	file_ := reflect.TypeOf(config.File{})
	schema.Register("config", file_, "forewarn configuration (forewarn.yaml)")
	schema.RegisterField(file_, "forecast", reflect.TypeOf(forecast.Options{}))
	schema.RegisterField(file_, "state", reflect.TypeOf(store.Config{}))
	schema.RegisterField(file_, "drafts", reflect.TypeOf(notice.Options{}))
	schema.RegisterField(file_, "report", reflect.TypeOf(report.Options{}))
	src := reflect.TypeOf(config.SourceSpec{})
	schema.RegisterField(src, "file", reflect.TypeOf(file.SourceConfig{}))
	schema.RegisterField(src, "github", reflect.TypeOf(github.SourceConfig{}))
	schema.RegisterField(src, "jira", reflect.TypeOf(jira.SourceConfig{}))
	tgt := reflect.TypeOf(config.TargetSpec{})
	schema.RegisterField(tgt, "outbox", reflect.TypeOf(file.TargetConfig{}))
	schema.RegisterField(tgt, "github", reflect.TypeOf(github.TargetConfig{}))
	schema.RegisterField(tgt, "jira", reflect.TypeOf(jira.TargetConfig{}))
}
