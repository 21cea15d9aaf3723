// Tests import modules of the web app, which Vite builds; one of them reads the design tokens as
// text (web/src/palette.ts). The web app's own types (vite/client) say so there; this says it here.
declare module '*.css?raw' {
  const text: string;
  export default text;
}
