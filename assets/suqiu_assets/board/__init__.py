"""The public board page (board.html, board.css, board.js), served by the server at /board."""
