package forecast_test

import (
	"fmt"
	"time"

	"github.com/forewarn/forewarn/internal/forecast"
	"github.com/forewarn/forewarn/internal/model"
)

// A milestone that has finished two items every working day for two weeks,
// with ten left and a Friday deadline.
func ExampleCompute() {
	m := steady(time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC))
	f := forecast.Compute(m, time.Date(2026, 3, 16, 12, 0, 0, 0, time.UTC), forecast.Options{})
	fmt.Println(f.Status, f.RemainingItems, "remaining")
	fmt.Println("P85:", f.P85.Format(time.DateOnly), "simulation on time:", f.SimProbOnTime, "calibrated:", f.ProbOnTime)
	fmt.Println("pace needed", f.PaceNeeded, "observed", f.PaceObserved)

	early := forecast.Compute(m, time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC), forecast.Options{})
	fmt.Println(early.Status == model.ForecastInsufficient, early.Reason)
	// Output:
	// ok 10 remaining
	// P85: 2026-03-20 simulation on time: 1 calibrated: 0.9367
	// pace needed 2 observed 2
	// true history too short: 2 working days since work started on 2026-03-02 (need 5)
}
