"""One module per kiosk screen. Each screen reads the visit from the flow and calls the window's
actions; none of them talks to the server itself."""
