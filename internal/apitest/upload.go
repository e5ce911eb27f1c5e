package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
)

// File is one file of a multipart request.
type File struct {
	Name string
	Data []byte
}

// Upload sends one operation as a multipart request
// (graphql-multipart-request-spec): files maps a variable name to its file,
// which the request sends in place of the variable (set it to nil in vars).
func (a *API) Upload(token, query string, vars map[string]any, files map[string]File) Response {
	a.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	ops, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	_ = mw.WriteField("operations", string(ops))
	fileMap := map[string][]string{}
	names := make([]string, 0, len(files))
	for v := range files {
		names = append(names, v)
	}
	for i, v := range names {
		fileMap[strconv.Itoa(i)] = []string{"variables." + v}
	}
	m, _ := json.Marshal(fileMap)
	_ = mw.WriteField("map", string(m))
	for i, v := range names {
		fw, err := mw.CreateFormFile(strconv.Itoa(i), files[v].Name)
		if err != nil {
			a.t.Fatal(err)
		}
		_, _ = fw.Write(files[v].Data)
	}
	_ = mw.Close()
	return a.Raw(token, mw.FormDataContentType(), body.Bytes())
}

// Get fetches path with token and returns the response's status, headers
// and body.
func (a *API) Get(token, path string) (int, http.Header, []byte) {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.URL+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}
