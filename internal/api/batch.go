package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/crm"
)

type batchJSON struct {
	Status      string       `json:"status"`
	Results     []recordJSON `json:"results"`
	NumErrors   int          `json:"numErrors,omitempty"`
	Errors      []batchError `json:"errors,omitempty"`
	StartedAt   string       `json:"startedAt"`
	CompletedAt string       `json:"completedAt"`
	// stored, when set, stands for Results, written from the records.
	stored *storedRecords
}

// batchError is HubSpot's StandardError, an entry of a 207 answer. Its
// published model requires every field here, links and errors included.
type batchError struct {
	Status      string              `json:"status"`
	Category    string              `json:"category"`
	SubCategory string              `json:"subCategory,omitempty"`
	Message     string              `json:"message"`
	Context     map[string][]string `json:"context"`
	Links       map[string]string   `json:"links"`
	Errors      []errorDetail       `json:"errors"`
}

// batchAnswer is 200 (or ok) when every input was found, else 207 with an
// OBJECT_NOT_FOUND error naming the missing ids.
func batchAnswer(ot *crm.ObjectType, ok int, started time.Time, results []recordJSON, missing []string) (int, any, error) {
	out := batchJSON{Status: "COMPLETE", Results: results, StartedAt: crm.FormatTime(started), CompletedAt: crm.FormatTime(time.Now())}
	if out.Results == nil {
		out.Results = []recordJSON{}
	}
	if len(missing) == 0 {
		return ok, out, nil
	}
	ctx := map[string][]string{"ids": missing}
	msg := fmt.Sprintf("Could not get some %s objects, they may be deleted or not exist. Check that ids are valid.", strings.ToUpper(ot.Singular))
	out.NumErrors = 1
	out.Errors = []batchError{{Status: "error", Category: catObjectNotFound, SubCategory: crm.CodeObjectNotFound, Context: ctx,
		Message: msg, Links: map[string]string{}, Errors: []errorDetail{{Message: msg, Code: crm.CodeObjectNotFound, Context: ctx}}}}
	return http.StatusMultiStatus, out, nil
}

type idJSON struct {
	ID string `json:"id"`
}

type batchReadJSON struct {
	Inputs                []*idJSON `json:"inputs"`
	Properties            []string  `json:"properties"`
	PropertiesWithHistory []string  `json:"propertiesWithHistory"`
	IDProperty            string    `json:"idProperty"`
	Archived              bool      `json:"archived"`
}

func (s *Server) batchRead(c call) (int, any, error) {
	started := time.Now()
	var in batchReadJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	if err := checkInputs(in.Inputs, nil); err != nil {
		return 0, nil, err
	}
	archived, err := boolParam(c.r, "archived")
	if err != nil {
		return 0, nil, err
	}
	recs, missing, err := s.crm.BatchRead(c.r.Context(), c.ot.Name, inputIDs(in.Inputs), in.IDProperty, archived || in.Archived)
	if err != nil {
		return 0, nil, err
	}
	out := toJSONs(c.ot, recs, in.Properties)
	if err := s.withHistory(c.r.Context(), c.ot, out, recs, in.PropertiesWithHistory); err != nil {
		return 0, nil, err
	}
	return batchAnswer(c.ot, http.StatusOK, started, out, missing)
}

type batchCreateJSON struct {
	Inputs []*createJSON `json:"inputs"`
}

func (s *Server) batchCreate(c call) (int, any, error) {
	started := time.Now()
	var in batchCreateJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	if err := checkInputs(in.Inputs, func(x *createJSON) values { return x.Properties }); err != nil {
		return 0, nil, err
	}
	props := make([]map[string]string, len(in.Inputs))
	names := values{}
	for i, x := range in.Inputs {
		props[i] = x.Properties
		for k := range x.Properties {
			names[k] = ""
		}
	}
	recs, err := s.crm.BatchCreate(c.r.Context(), c.actor.Source(), c.ot.Name, props)
	if err != nil {
		return 0, nil, err
	}
	out := batchJSON{Status: "COMPLETE", StartedAt: crm.FormatTime(started), CompletedAt: crm.FormatTime(time.Now()),
		stored: newStoredRecords(c.ot, recs, written(c.ot, names))}
	return http.StatusCreated, out, nil
}

type updateInputJSON struct {
	ID         string `json:"id"`
	IDProperty string `json:"idProperty"`
	Properties values `json:"properties"`
}

type batchUpdateJSON struct {
	Inputs []*updateInputJSON `json:"inputs"`
}

func (in batchUpdateJSON) check() error {
	return checkInputs(in.Inputs, func(x *updateInputJSON) values { return x.Properties })
}

func (in batchUpdateJSON) inputs() ([]crm.Input, values) {
	out := make([]crm.Input, len(in.Inputs))
	names := values{}
	for i, x := range in.Inputs {
		out[i] = crm.Input{ID: x.ID, IDProperty: x.IDProperty, Properties: x.Properties}
		for k := range x.Properties {
			names[k] = ""
		}
	}
	return out, names
}

func (s *Server) batchUpdate(c call) (int, any, error) {
	started := time.Now()
	var in batchUpdateJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	if err := in.check(); err != nil {
		return 0, nil, err
	}
	inputs, names := in.inputs()
	recs, missing, err := s.crm.BatchUpdate(c.r.Context(), c.actor.Source(), c.ot.Name, inputs)
	if err != nil {
		return 0, nil, err
	}
	return batchAnswer(c.ot, http.StatusOK, started, toJSONs(c.ot, recs, written(c.ot, names)), missing)
}

func (s *Server) batchUpsert(c call) (int, any, error) {
	started := time.Now()
	var in batchUpdateJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	if err := in.check(); err != nil {
		return 0, nil, err
	}
	inputs, names := in.inputs()
	results, err := s.crm.BatchUpsert(c.r.Context(), c.actor.Source(), c.ot.Name, inputs)
	if err != nil {
		return 0, nil, err
	}
	props := written(c.ot, names)
	out := make([]recordJSON, len(results))
	for i, r := range results {
		out[i] = toJSON(c.ot, r.Record, props)
		out[i].New = &r.New
	}
	return batchAnswer(c.ot, http.StatusOK, started, out, nil)
}

type batchArchiveJSON struct {
	Inputs []*idJSON `json:"inputs"`
}

func (s *Server) batchArchive(c call) (int, any, error) {
	var in batchArchiveJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	if err := checkInputs(in.Inputs, nil); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.crm.BatchArchive(c.r.Context(), c.actor.Source(), c.ot.Name, inputIDs(in.Inputs))
}

func inputIDs(inputs []*idJSON) []string {
	ids := make([]string, len(inputs))
	for i, x := range inputs {
		ids[i] = x.ID
	}
	return ids
}
