"""On-screen pinyin keyboard: a lexicon (``lexicon``), a Qt-free composer (``composer``) and the
touch widget (``widget``). See docs/kiosk.md for why the kiosk ships its own keyboard."""
