package app

import (
	"reflect"

	"github.com/forewarn/forewarn/internal/config"
	"github.com/forewarn/forewarn/internal/forecast"
	"github.com/forewarn/forewarn/internal/notice"
	"github.com/forewarn/forewarn/internal/report"
	"github.com/forewarn/forewarn/internal/schema"
	"github.com/forewarn/forewarn/internal/store"
)

// The configuration's schema lives here because only the app knows which
// package decodes each section it keeps as a YAML node. The connector
// sections come from the registry (registry.go), the list that also
// builds them.
func init() {
	file_ := reflect.TypeOf(config.File{})
	schema.Register("config", file_, "forewarn configuration (forewarn.yaml)")
	schema.RegisterField(file_, "forecast", reflect.TypeOf(forecast.Options{}))
	schema.RegisterField(file_, "state", reflect.TypeOf(store.Config{}))
	schema.RegisterField(file_, "drafts", reflect.TypeOf(notice.Options{}))
	schema.RegisterField(file_, "report", reflect.TypeOf(report.Options{}))
	src := reflect.TypeOf(config.SourceSpec{})
	for key, k := range sourceKinds {
		schema.RegisterField(src, key, k.config)
	}
	tgt := reflect.TypeOf(config.TargetSpec{})
	for key, k := range targetKinds {
		schema.RegisterField(tgt, key, k.config)
	}
}
