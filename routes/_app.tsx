/** The page frame: head, navigation, content, and the island bundle. @module */
import type { LayoutProps } from "../src/web/app.ts";

const NAV: [string, string][] = [
  ["/", "Runs"],
  ["/simulate", "Simulate"],
  ["/predict", "Predict"],
  ["/metrics", "Metrics"],
  ["/bench", "Bench"],
];

/** Wraps every page: header with navigation, main content, footer, island scripts. */
export default function App({ title, url, children }: LayoutProps) {
  const here = url.pathname;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title}</title>
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/static/build/uplot.css" />
        <link rel="stylesheet" href="/static/app.css" />
      </head>
      <body>
        <header class="topbar">
          <a class="brand" href="/">
            quass <span class="brand-sub">CEST · QUASS lab</span>
          </a>
          <nav>
            {NAV.map(([href, label]) => (
              <a
                href={href}
                class={(href === "/"
                    ? here === "/" || here.startsWith("/runs")
                    : here.startsWith(href))
                  ? "active"
                  : ""}
              >
                {label}
              </a>
            ))}
          </nav>
        </header>
        <main>{children}</main>
        <footer>
          quass · Bloch–McConnell simulation and QUASS prediction on WebGPU · Z = M<sub>
            z
          </sub>/M<sub>0</sub>
        </footer>
        <script type="module" src="/static/build/islands.js"></script>
      </body>
    </html>
  );
}
