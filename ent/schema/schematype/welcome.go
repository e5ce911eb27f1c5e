package schematype

// WelcomeAttachment is one attachment of a contact-way code's welcome
// message, stored in WeCom's own shape for send_welcome_msg's attachments:
// msgtype names the one object that is set.
type WelcomeAttachment struct {
	MsgType     string              `json:"msgtype"`
	Image       *WelcomeImage       `json:"image,omitempty"`
	Link        *WelcomeLink        `json:"link,omitempty"`
	MiniProgram *WelcomeMiniProgram `json:"miniprogram,omitempty"`
	Video       *WelcomeMedia       `json:"video,omitempty"`
	File        *WelcomeMedia       `json:"file,omitempty"`
}

// WelcomeMedia is a video or file attachment. Stored, media_id is the
// GraphQL id of a WeComMedia (uploadWeComMedia); the sender puts a fresh
// WeCom media id (media/upload) in its place.
type WelcomeMedia struct {
	MediaID string `json:"media_id"`
}

// WelcomeImage is an image by the URL WeCom's upload image API gave.
// Stored, media_id instead is the GraphQL id of a WeComMedia image, put in
// WeCom's media id's place at send time.
type WelcomeImage struct {
	PicURL  string `json:"pic_url,omitempty"`
	MediaID string `json:"media_id,omitempty"`
}

// WelcomeLink is a link card (图文).
type WelcomeLink struct {
	Title  string `json:"title"`
	PicURL string `json:"picurl,omitempty"`
	Desc   string `json:"desc,omitempty"`
	URL    string `json:"url"`
}

// WelcomeMiniProgram is a mini-program card; its cover is a media id of
// WeCom's media upload, or stored the GraphQL id of a WeComMedia image
// (put in a fresh media id's place at send time).
type WelcomeMiniProgram struct {
	Title      string `json:"title"`
	PicMediaID string `json:"pic_media_id"`
	AppID      string `json:"appid"`
	Page       string `json:"page"`
}
