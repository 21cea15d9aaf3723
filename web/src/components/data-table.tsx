import { type ComponentChildren, Fragment, type HTMLAttributes, type TdHTMLAttributes } from 'preact';

/** `data-*` attributes the browser tests and the styles select rows and cells by. */
type DataAttributes = { [name: `data-${string}`]: string | undefined };
export type RowAttributes = HTMLAttributes<HTMLTableRowElement> & DataAttributes;
export type CellAttributes = TdHTMLAttributes<HTMLTableCellElement> & DataAttributes;

/** One column: its header, and what each row shows in it. */
export interface Column<Row> {
  /** Unique among the table's columns. */
  key: string;
  /**
   * The header cell's content, a `<th scope="col">`. `null` for a column of buttons that needs no
   * name: an empty `<td>`, not an empty header a screen reader would announce.
   */
  header: ComponentChildren;
  cell: (row: Row) => ComponentChildren;
  /** The cell that names its row (`<th scope="row">`): a screen reader reads it before each cell of the row. */
  isRowHeader?: boolean;
  /** A cell's class, `translate`, `data-*`. A `colSpan` of n covers this column and the n − 1 after it in that row. */
  cellAttributes?: (row: Row) => CellAttributes;
}

export interface DataTableProps<Row> {
  rows: readonly Row[];
  /** `false` for a column not shown (one only some roles may act in). */
  columns: ReadonlyArray<Column<Row> | false>;
  rowKey: (row: Row, index: number) => string;
  rowAttributes?: (row: Row) => RowAttributes;
  /** `table`, with `compact` and `numeric` as modifiers (styles/tables.css). */
  class?: string;
  id?: string;
  'data-testid'?: string;
  caption?: ComponentChildren;
  /**
   * Said instead of the table when there are no rows: no headers over no rows, which a screen reader
   * announces as an empty grid. Without it (and without `emptyRow`) an empty table keeps its headers.
   */
  empty?: ComponentChildren;
  /** Said in the table's one row, across every column, when there are no rows. */
  emptyRow?: ComponentChildren;
  /** The rows of a `<tfoot>` (a total). */
  footer?: ComponentChildren;
  /** A row's companion drawn under it (an editor opened in place), given the number of columns to span. */
  afterRow?: (row: Row, columnCount: number) => ComponentChildren;
  /** Wide tables scroll sideways in their own box on a narrow screen; the page does not. */
  isScrolling?: boolean;
}

/** The cells of one row, a `colSpan` standing for the columns it covers. */
function cellsOf<Row>(row: Row, columns: ReadonlyArray<Column<Row>>): ComponentChildren[] {
  const cells: ComponentChildren[] = [];
  for (let i = 0; i < columns.length;) {
    const column = columns[i]!;
    const attributes = column.cellAttributes?.(row) ?? {};
    cells.push(
      column.isRowHeader ? (
        <th key={column.key} scope="row" {...attributes}>
          {column.cell(row)}
        </th>
      ) : (
        <td key={column.key} {...attributes}>
          {column.cell(row)}
        </td>
      ),
    );
    i += Math.max(1, Number(attributes.colSpan ?? 1));
  }
  return cells;
}

/**
 * The app's tables of records: column headers with their scope, a header cell per row where a
 * column names it, one way to say "nothing here", and the ids and `data-*` attributes pages and
 * tests find rows by.
 */
export function DataTable<Row>(props: DataTableProps<Row>) {
  const columns = props.columns.filter((column): column is Column<Row> => column !== false);
  if (props.rows.length === 0 && props.empty !== undefined) return <p class="muted">{props.empty}</p>;
  const table = (
    <table class={props.class} id={props.id} data-testid={props['data-testid']}>
      {props.caption === undefined ? null : <caption>{props.caption}</caption>}
      <thead>
        <tr>
          {columns.map((column) =>
            column.header === null ? (
              <td key={column.key} />
            ) : (
              <th key={column.key} scope="col">
                {column.header}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>
        {props.rows.length === 0 && props.emptyRow !== undefined ? (
          <tr>
            <td colSpan={columns.length}>{props.emptyRow}</td>
          </tr>
        ) : (
          props.rows.map((row, index) => (
            <Fragment key={props.rowKey(row, index)}>
              <tr {...props.rowAttributes?.(row)}>{cellsOf(row, columns)}</tr>
              {props.afterRow?.(row, columns.length)}
            </Fragment>
          ))
        )}
      </tbody>
      {props.footer === undefined ? null : <tfoot>{props.footer}</tfoot>}
    </table>
  );
  return props.isScrolling ? <div class="table-scroll">{table}</div> : table;
}
