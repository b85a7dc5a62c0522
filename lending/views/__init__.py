"""Server-rendered lending pages, one module per area; views parse input, call one service or selector, render."""
