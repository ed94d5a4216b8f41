// Exports (CSV, JSON, XLSX, HTML) live here.
