package wecomfake

import (
	"crypto/sha1" //nolint:gosec // a name for the stored image, not a signature
	"encoding/hex"
	"io"
	"net/http"
)

// The upload image endpoint, with the documented shape
// (https://developer.work.weixin.qq.com/document/path/90256):
//
//	POST /cgi-bin/media/uploadimg?access_token, multipart/form-data with the image as the file field media
//	    -> url (https, *.qpic.cn, permanent); 41001 no access_token, 40014 bad token, 41005 no media field,
//	    44001 an empty file, 40009 an image under 5 bytes or over 2 MB, 40004 neither JPG nor PNG

// Image is one image uploadimg kept.
type Image struct {
	// Name is the file name the multipart field carried.
	Name string
	Data []byte
	URL  string
}

// maxImage is WeCom's limit on an uploaded image.
const maxImage = 2 << 20

func (f *Server) uploadImage(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if r.URL.Query().Get("access_token") == "" {
		f.Calls[r.URL.Path]++
		f.Answer(w, map[string]any{"errcode": 41001, "errmsg": "access_token missing"})
		return
	}
	if !f.authorized(w, r) {
		return
	}
	if f.ImageErrcode != 0 {
		f.Answer(w, map[string]any{"errcode": f.ImageErrcode, "errmsg": "refused by the test"})
		return
	}
	part, head, err := r.FormFile("media")
	if err != nil {
		f.Answer(w, map[string]any{"errcode": 41005, "errmsg": "media data missing"})
		return
	}
	defer part.Close()
	data, err := io.ReadAll(io.LimitReader(part, maxImage+1))
	switch kind := http.DetectContentType(data); {
	case err != nil:
		f.T.Errorf("wecomfake: uploadimg: %v", err)
		f.Answer(w, map[string]any{"errcode": -1, "errmsg": "system busy"})
	case len(data) == 0:
		f.Answer(w, map[string]any{"errcode": 44001, "errmsg": "empty media data"})
	case len(data) < 5 || len(data) > maxImage:
		f.Answer(w, map[string]any{"errcode": 40009, "errmsg": "invalid image size"})
	case kind != "image/jpeg" && kind != "image/png":
		f.Answer(w, map[string]any{"errcode": 40004, "errmsg": "invalid media type"})
	default:
		sum := sha1.Sum(data) //nolint:gosec // a name, not a signature
		img := &Image{Name: head.Filename, Data: data, URL: "https://wework.qpic.cn/wwpic/" + hex.EncodeToString(sum[:]) + "/0"}
		f.Images = append(f.Images, img)
		f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "url": img.URL})
	}
}

// Uploaded are the images uploadimg kept, in order.
func (f *Server) Uploaded() []Image {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	out := make([]Image, len(f.Images))
	for i, img := range f.Images {
		out[i] = *img
	}
	return out
}
