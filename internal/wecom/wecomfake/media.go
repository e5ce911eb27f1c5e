package wecomfake

import (
	"crypto/sha1" //nolint:gosec // a name for the stored image, not a signature
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"time"
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

// The temporary media upload, with the documented shape
// (https://developer.work.weixin.qq.com/document/path/90253):
//
//	POST /cgi-bin/media/upload?access_token&type=image|voice|video|file, multipart/form-data with the file as the field media
//	    -> type, media_id, created_at (a string of Unix seconds); the media_id is good for 3 days.
//	    40004 an unknown type, 41005 no media field, 44001 an empty file, 40005 an image that is not JPG
//	    or PNG or a video that is not MP4, 40009 an image over 10 MB, 40011 a video over 10 MB,
//	    40006 a file over 20 MB or of 5 bytes or less
//
// send_welcome_msg and add_msg_template refuse (40007 invalid media_id, and
// fail the test) an attachment whose media id (an image's media_id, a
// mini-program's pic_media_id, a video's or file's media_id) this fake did
// not issue for that type, or issued more than MediaLifetime ago by Now.

// Medium is one file media/upload kept.
type Medium struct {
	Type, Name, MediaID string
	Data                []byte
	CreatedAt           time.Time
}

// MediaLifetime is how long WeCom keeps a temporary medium.
const MediaLifetime = 72 * time.Hour

var mediaLimits = map[string]struct {
	max     int
	errcode int
}{"image": {10 << 20, 40009}, "voice": {2 << 20, 40006}, "video": {10 << 20, 40011}, "file": {20 << 20, 40006}}

func (f *Server) uploadMedia(w http.ResponseWriter, r *http.Request) {
	if hold := f.HoldUploads; hold != nil {
		release := make(chan struct{})
		select {
		case hold <- release:
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		case <-r.Context().Done():
			return
		}
	}
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.authorized(w, r) {
		return
	}
	if len(f.MediaErrcodes) > 0 {
		code := f.MediaErrcodes[0]
		f.MediaErrcodes = f.MediaErrcodes[1:]
		f.Answer(w, map[string]any{"errcode": code, "errmsg": "refused by the test"})
		return
	}
	kind := r.URL.Query().Get("type")
	limit, ok := mediaLimits[kind]
	if !ok {
		f.Answer(w, map[string]any{"errcode": 40004, "errmsg": "invalid media type"})
		return
	}
	part, head, err := r.FormFile("media")
	if err != nil {
		f.Answer(w, map[string]any{"errcode": 41005, "errmsg": "media data missing"})
		return
	}
	defer part.Close()
	data, err := io.ReadAll(io.LimitReader(part, int64(limit.max)+1))
	sniffed := http.DetectContentType(data)
	switch {
	case err != nil:
		f.T.Errorf("wecomfake: media/upload: %v", err)
		f.Answer(w, map[string]any{"errcode": -1, "errmsg": "system busy"})
	case len(data) == 0:
		f.Answer(w, map[string]any{"errcode": 44001, "errmsg": "empty media data"})
	case len(data) > limit.max:
		f.Answer(w, map[string]any{"errcode": limit.errcode, "errmsg": "invalid " + kind + " size"})
	case len(data) <= 5:
		f.Answer(w, map[string]any{"errcode": 40006, "errmsg": "invalid file size"})
	case kind == "image" && sniffed != "image/jpeg" && sniffed != "image/png",
		kind == "video" && sniffed != "video/mp4":
		f.Answer(w, map[string]any{"errcode": 40005, "errmsg": "invalid file type"})
	default:
		f.mediaSeq++
		m := &Medium{Type: kind, Name: head.Filename, Data: data, CreatedAt: f.Now(),
			MediaID: fmt.Sprintf("3%s_media_%d", kind, f.mediaSeq)}
		f.Media[m.MediaID] = m
		f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "type": kind, "media_id": m.MediaID,
			"created_at": strconv.FormatInt(m.CreatedAt.Unix(), 10)})
	}
}

// IssueMedia makes a medium of kind as if media/upload had just kept it,
// for a test that names a media id it did not upload through scrm.
func (f *Server) IssueMedia(mediaID, kind string) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Media[mediaID] = &Medium{Type: kind, MediaID: mediaID, CreatedAt: f.Now()}
}

// UploadedMedia are the media media/upload kept, in the order made.
func (f *Server) UploadedMedia() []Medium {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	out := make([]Medium, 0, len(f.Media))
	for _, m := range f.Media {
		if m.Data != nil {
			out = append(out, *m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MediaID < out[j].MediaID })
	return out
}

// mediaProblem is why an attachment's media id is not one this fake
// issued, for the attachment's type, within MediaLifetime; "" when it is.
func (f *Server) mediaProblem(a map[string]any) string {
	kind, _ := a["msgtype"].(string)
	obj, _ := a[kind].(map[string]any)
	var id, want string
	switch kind {
	case "image":
		id, want = str(obj, "media_id"), "image"
	case "miniprogram":
		id, want = str(obj, "pic_media_id"), "image"
	case "video", "file":
		id, want = str(obj, "media_id"), kind
	}
	if id == "" {
		return ""
	}
	m := f.Media[id]
	switch {
	case m == nil:
		return fmt.Sprintf("media id %q was never issued", id)
	case m.Type != want:
		return fmt.Sprintf("media id %q is a %s, not a %s", id, m.Type, want)
	case f.Now().Sub(m.CreatedAt) >= MediaLifetime:
		return fmt.Sprintf("media id %q expired (made %s, now %s)", id, m.CreatedAt.Format(time.RFC3339), f.Now().Format(time.RFC3339))
	}
	return ""
}

func str(obj map[string]any, k string) string {
	v, _ := obj[k].(string)
	return v
}
