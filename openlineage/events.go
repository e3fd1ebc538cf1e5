// Package openlineage serves POST /api/v1/lineage: OpenLineage 2-0-2 events
// (RunEvent, DatasetEvent, JobEvent; one, or a JSON array of them; JSON or
// gzip) decoded, validated as a whole, and mapped onto lineage.Service
// calls. The rules (who may write, what a run's state may become, how a
// dataset is keyed) are the Service's; this package only translates.
package openlineage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// Event is one OpenLineage event. Which kind it is follows from what it
// holds: a run (RunEvent), a dataset (DatasetEvent) or only a job
// (JobEvent). Facets are open: any facet is kept as sent.
type Event struct {
	EventTime string    `json:"eventTime"`
	EventType string    `json:"eventType,omitempty"`
	Producer  string    `json:"producer"`
	SchemaURL string    `json:"schemaURL"`
	Run       *Run      `json:"run,omitempty"`
	Job       *Job      `json:"job,omitempty"`
	Inputs    []Dataset `json:"inputs,omitempty"`
	Outputs   []Dataset `json:"outputs,omitempty"`
	Dataset   *Dataset  `json:"dataset,omitempty"`

	time time.Time // EventTime, parsed by Validate
	kind string    // "RunEvent", "DatasetEvent" or "JobEvent"
}

// Run is an event's run.
type Run struct {
	RunID  string           `json:"runId"`
	Facets map[string]Facet `json:"facets,omitempty"`
}

// Job is an event's job.
type Job struct {
	Namespace string           `json:"namespace"`
	Name      string           `json:"name"`
	Facets    map[string]Facet `json:"facets,omitempty"`
}

// Dataset is an input, output or static dataset.
type Dataset struct {
	Namespace    string           `json:"namespace"`
	Name         string           `json:"name"`
	Facets       map[string]Facet `json:"facets,omitempty"`
	InputFacets  map[string]Facet `json:"inputFacets,omitempty"`
	OutputFacets map[string]Facet `json:"outputFacets,omitempty"`
}

// Facet is a facet as sent: any JSON object.
type Facet = json.RawMessage

// Kind says what kind of event e is: RunEvent, DatasetEvent or JobEvent.
func (e *Event) Kind() string { return e.kind }

// Time is the event's eventTime (after Validate).
func (e *Event) Time() time.Time { return e.time }

// fieldErr is a validation error naming the field at fault.
type fieldErr struct{ field, msg string }

func (f *fieldErr) Error() string { return f.field + ": " + f.msg }

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Run event types of the 2-0-2 spec.
var eventTypes = map[string]bool{"START": true, "RUNNING": true, "COMPLETE": true, "ABORT": true, "FAIL": true, "OTHER": true}

// Validate checks what the 2-0-2 spec requires of an event (eventTime,
// producer, schemaURL; run.runId a UUID; job.namespace and job.name;
// dataset namespace and name), and what Artigraph needs besides (names it
// can map, sizes it can store). The error names the field.
func (e *Event) Validate() error {
	if e.EventTime == "" {
		return &fieldErr{"eventTime", "is required"}
	}
	t, err := parseTime(e.EventTime)
	if err != nil {
		return &fieldErr{"eventTime", fmt.Sprintf("%q is not an RFC 3339 date-time", e.EventTime)}
	}
	e.time = t
	if strings.TrimSpace(e.Producer) == "" {
		return &fieldErr{"producer", "is required"}
	}
	if strings.TrimSpace(e.SchemaURL) == "" {
		return &fieldErr{"schemaURL", "is required"}
	}
	switch {
	case e.Run != nil:
		e.kind = "RunEvent"
		if e.Dataset != nil {
			return &fieldErr{"dataset", "a RunEvent has no dataset"}
		}
		if e.Run.RunID == "" {
			return &fieldErr{"run.runId", "is required"}
		}
		if !uuidRE.MatchString(e.Run.RunID) {
			return &fieldErr{"run.runId", fmt.Sprintf("%q is not a UUID", e.Run.RunID)}
		}
		if e.EventType != "" && !eventTypes[e.EventType] {
			return &fieldErr{"eventType", fmt.Sprintf("%q is not one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER", e.EventType)}
		}
		if e.Job == nil {
			return &fieldErr{"job", "is required"}
		}
	case e.Dataset != nil:
		e.kind = "DatasetEvent"
		if e.Job != nil {
			return &fieldErr{"job", "a DatasetEvent has no job"}
		}
		if e.EventType != "" {
			return &fieldErr{"eventType", "a DatasetEvent has no eventType"}
		}
		return validateDataset("dataset", *e.Dataset)
	case e.Job != nil:
		e.kind = "JobEvent"
		if e.EventType != "" {
			return &fieldErr{"eventType", "a JobEvent has no eventType (a RunEvent needs a run)"}
		}
	default:
		return &fieldErr{"job", "is required (or run and job for a RunEvent, dataset for a DatasetEvent)"}
	}
	if e.Job.Namespace == "" {
		return &fieldErr{"job.namespace", "is required"}
	}
	if e.Job.Name == "" {
		return &fieldErr{"job.name", "is required"}
	}
	if len(e.Job.Namespace) > maxNameLen {
		return &fieldErr{"job.namespace", fmt.Sprintf("is longer than %d bytes", maxNameLen)}
	}
	if len(e.Job.Name) > maxNameLen {
		return &fieldErr{"job.name", fmt.Sprintf("is longer than %d bytes", maxNameLen)}
	}
	if e.Run != nil {
		if p, ok := e.Run.Facets["parent"]; ok {
			var parent struct {
				Job struct{ Name string } `json:"job"`
			}
			if err := json.Unmarshal(p, &parent); err != nil {
				return &fieldErr{"run.facets.parent", "is not a parent run facet"}
			}
		}
	}
	if n := len(e.Inputs) + len(e.Outputs); n > lineage.MaxSources {
		return &fieldErr{"inputs", fmt.Sprintf("at most %d datasets per event, not %d", lineage.MaxSources, n)}
	}
	for i, d := range e.Inputs {
		if err := validateDataset(fmt.Sprintf("inputs[%d]", i), d); err != nil {
			return err
		}
	}
	for i, d := range e.Outputs {
		if err := validateDataset(fmt.Sprintf("outputs[%d]", i), d); err != nil {
			return err
		}
	}
	return nil
}

// maxNameLen bounds namespaces and names; they are mapped to shorter ones.
const maxNameLen = 4096

func validateDataset(field string, d Dataset) error {
	switch {
	case d.Namespace == "":
		return &fieldErr{field + ".namespace", "is required"}
	case d.Name == "":
		return &fieldErr{field + ".name", "is required"}
	case len(d.Namespace) > maxNameLen:
		return &fieldErr{field + ".namespace", fmt.Sprintf("is longer than %d bytes", maxNameLen)}
	case len(d.Name) > maxNameLen:
		return &fieldErr{field + ".name", fmt.Sprintf("is longer than %d bytes", maxNameLen)}
	}
	// A version names the version read and labels the one written, so it
	// must fit a label's value.
	if v := datasetVersion(d.Facets); len(v) > lineage.MaxLabelValueLen {
		return &fieldErr{field + ".facets.version.datasetVersion", fmt.Sprintf("is longer than %d bytes", lineage.MaxLabelValueLen)}
	}
	if s, ok := d.Facets["schema"]; ok {
		var schema struct {
			Fields []json.RawMessage `json:"fields"`
		}
		if err := json.Unmarshal(s, &schema); err != nil {
			return &fieldErr{field + ".facets.schema", "is not a schema facet (fields: an array)"}
		}
	}
	return nil
}

// parseTime reads an RFC 3339 date-time; one without a zone (as some
// producers write) is taken as UTC.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse("2006-01-02T15:04:05.999999999", s)
	return t.UTC(), err
}

// Decode reads one event or a JSON array of events and validates every
// one; the error names the event (in an array) and the field.
func Decode(data []byte) ([]*Event, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("the body is empty: send an OpenLineage event or a JSON array of events")
	}
	var events []*Event
	array := data[0] == '['
	if array {
		var raws []json.RawMessage
		if err := json.Unmarshal(data, &raws); err != nil {
			return nil, fmt.Errorf("the body is not a JSON array of events: %s", jsonProblem(err))
		}
		if len(raws) == 0 {
			return nil, errors.New("the array holds no event")
		}
		if len(raws) > MaxBatch {
			return nil, fmt.Errorf("at most %d events per request, not %d", MaxBatch, len(raws))
		}
		for i, raw := range raws {
			e, err := decodeOne(raw)
			if err != nil {
				return nil, fmt.Errorf("events[%d].%s", i, err)
			}
			events = append(events, e)
		}
		return events, nil
	}
	e, err := decodeOne(data)
	if err != nil {
		return nil, err
	}
	return []*Event{e}, nil
}

// MaxBatch is the most events one request may carry.
const MaxBatch = 1000

func decodeOne(raw []byte) (*Event, error) {
	var e Event
	if err := json.Unmarshal(raw, &e); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, &fieldErr{te.Field, fmt.Sprintf("must be a JSON %s, not %s", te.Type.Kind(), te.Value)}
		}
		return nil, &fieldErr{"(event)", "is not a JSON object: " + jsonProblem(err)}
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return &e, nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	return err.Error()
}
