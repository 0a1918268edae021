"""Developer tools: screenshots, a shared helper to start a real server and drive it in Chromium."""
