"""The admin console in chat: /impor, /target, /riwayat, /kunci, /buka, /pengguna, /pic, /undang."""
