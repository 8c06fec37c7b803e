// The small part of dcmjs (no bundled types) the stack uses to write DICOM Part 10 files.
declare module 'dcmjs' {
  const dcmjs: {
    data: {
      datasetToBuffer(dataset: Record<string, unknown>): Buffer
      DicomMessage: {
        readFile(buffer: ArrayBuffer): {
          dict: Record<string, unknown>
          meta: Record<string, unknown>
        }
      }
      DicomMetaDictionary: {
        naturalizeDataset(dict: Record<string, unknown>): Record<string, unknown>
      }
    }
  }
  export default dcmjs
}
